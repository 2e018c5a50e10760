"""The version of clinrules, kept with pyproject.toml's (a test compares them)."""

__version__ = "0.1.0"
