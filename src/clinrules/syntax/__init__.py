"""Stage 1, syntax: rule text -> `ast.RuleFile`, with every syntax error as a diagnostic.

In: bytes or text of one rule file. Out: a frozen AST whose every node has a
span (`ast.py`), or a `RulesetError` holding CR0xx/CR1xx diagnostics.
`source.py` reads files within the limits, `grammar.py` finds
`grammar/clinrules.lark` and builds the Lark parser, `parser.py` runs it and
recovers at the next declaration, `transform.py` turns the Lark tree into
the AST (the only place a Lark tree exists), and `lark_errors.py` turns
Lark's errors into words a clinician can act on. Next stage: `check`.
"""
