"""Stage 3, check: parsed files + a schema -> a checked `ir.Program`, or every error at once.

In: the top rule file's path or text. Out: an `ir.Program` and its warnings,
or a `RulesetError` with every CR2xx-CR5xx diagnostic found in one run.
`loader.py` reads a ruleset and its includes (confined to its tree);
`header.py` checks the header and finds the model; `names.py` and
`resolve.py` say what a word stands for; `typecheck.py` holds the rules of
types and units; `conditions.py` turns conditions into IR; `doses.py` and
`advice.py` check doses, verdicts, targets and clauses; `checker.py` runs it
all. Next stage: `engine`.
"""
