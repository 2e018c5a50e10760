"""Hard limits on what a rule file may ask of the toolchain.

Limits make every input cost bounded time and memory and keep deep inputs
from ever reaching Python's recursion limit: they are refused with a CR0xx
diagnostic instead. docs/language.md lists them.
"""

from typing import Final

MAX_FILE_BYTES: Final = 1_048_576
"""A rule file larger than 1 MiB is refused (CR003)."""

MAX_NESTING: Final = 32
"""Conditions and expressions nest at most 32 levels deep (CR004)."""

MAX_ERRORS: Final = 100
"""After 100 errors the rest of a file is not read (CR005)."""

MAX_SESSIONS: Final = 10_000
"""A patient may carry at most 10,000 logged sessions (PatientDataError)."""
