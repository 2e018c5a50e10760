"""Stage 4, engine: an `ir.Program` + a patient -> the outcome of every red flag and rule.

In: a checked program, then patients. Out: `Outcomes`, each True (fired),
False or None (unknown). `compiler.py` turns the IR into Python functions
once (no rule text ever reaches generated code), calling the Kleene helpers
of `runtime.py`; `interpret.py` evaluates the same IR directly to say what
was read and what was missing (the two must agree, a property shows it);
`inputs.py` validates the patient, the time, the parameters and the
sessions; `evaluator.py` ties them together. Next stage: `decision`.
"""
