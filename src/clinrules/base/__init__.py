"""The bottom of the pipeline: what every stage shares, importing no other part of clinrules.

`span` (positions in rule text), `diagnostics` (stable codes, severities,
rendering), `errors` (the exceptions of the public API), `limits` (the hard
limits on inputs), `vocabulary` (triage, verdicts, care, red-flag states and
the disclaimer) and `version`. Anything here may be imported by any stage;
nothing here imports a stage.

In: nothing of clinrules. Out: the words the stages above speak to one another.
"""
