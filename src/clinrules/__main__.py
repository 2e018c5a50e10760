"""`python -m clinrules ...`: the `clinrules` command, for an environment without its console script.

The same `main` as the console script (`clinrules.cli:main`): the same
commands, output and exit codes.
"""

from clinrules.cli.main import main

raise SystemExit(main())
