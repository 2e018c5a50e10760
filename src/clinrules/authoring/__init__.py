"""Tools for rule authors and reviewers, on top of the library: formatting, review pages, case files.

In: rule files, checked programs, case files. Out: text for people.
`fmt.py` prints the one canonical layout (comments kept); `docgen.py`,
`docdecls.py` and `docwords.py` write the review page in plain words; `casefile.py` reads and
validates `*.cases.yaml`, and `cases.py` runs them and measures coverage;
`lexer.py` is the Pygments lexer (registered as `clinrules.lexer`);
`questionnaire.py` writes a model's questions as FHIR R4 Questionnaires. The CLI
(`clinrules.cli`) is the only stage above this one.
"""
