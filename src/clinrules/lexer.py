"""The Pygments entry point `clinrules` (`clinrules.lexer:ClinrulesLexer`); the lexer lives in `authoring/lexer.py`."""

from clinrules.authoring.lexer import ClinrulesLexer

__all__ = ["ClinrulesLexer"]
