"""The clinrules benchmark harness: `python -m benchmarks` (or `make bench`) runs every section.

Sections: 30 rules over a flat state beside hand-written Python and peer
engines (`flat`), end-to-end `evaluate()` beside validation (`evaluate`),
loading and `clinrules check` (`load`), a generated ruleset of 2,000 rules
(`large`), and streaming with `evaluate_many()` (`streaming`).
"""
