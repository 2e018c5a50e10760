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

MAX_EXPANDED_NESTING: Final = 128
"""Conditions nest at most 128 levels deep with their defined phrases expanded (CR006)."""

MAX_ERRORS: Final = 100
"""After 100 errors the rest of a file is not read (CR005)."""

MAX_SESSIONS: Final = 10_000
"""A patient may carry at most 10,000 logged sessions (PatientDataError)."""

MAX_NUMBER_DIGITS: Final = 15
"""A number in rule text has at most 15 digits, leading zeros aside (CR112).

So it lies below 10**15 and every such decimal reads back exactly as a float."""

MAX_MAGNITUDE: Final = 10**15
"""A number in patient data, a parameter override or a model bound is at most 10**15
in magnitude and finite (PatientDataError, ParameterError, CR218): every such
whole number is exact as a float, and no unit conversion can overflow."""

MAX_DURATION_SECONDS: Final = 200 * 365.25 * 86400
"""A window or a duration in rule text is at most 200 years (CR422)."""

EARLIEST_AS_OF_YEAR: Final = 1900
"""The evaluation time lies in the years 1900 to 2200 (UTC) (PatientDataError, exit 2 for --as-of)."""

LATEST_AS_OF_YEAR: Final = 2200
"""With the 200-year duration limit, `now` minus or plus any duration stays in the calendar."""

MAX_CASE_FILE_BYTES: Final = 4 * 1024 * 1024
"""A case file, or a patient file it names, larger than 4 MiB is refused (CaseFileError)."""

MAX_CASE_FILE_NODES: Final = 200_000
"""A case file holds at most 200,000 YAML nodes, each use of an alias counted as the copy
it stands for, and no alias inside itself (CaseFileError): a billion laughs costs nothing."""

MAX_PATIENT_BYTES: Final = 16 * 1024 * 1024
"""The patient `clinrules eval` reads (a file or standard input) is at most 16 MiB (exit 3)."""
