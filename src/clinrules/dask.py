"""`clinrules.dask.evaluate(bag_or_ddf, ruleset, as_of=...)`: the batch on Dask, in one line of a pipeline.

The work is in `clinrules.batch.on_dask`; this module is its public name
(it does not shadow the `dask` package: clinrules imports absolutely).
Needs the extra `clinrules[dask]`.
"""

from __future__ import annotations

from clinrules.batch.on_dask import INSTALL_HINT, evaluate

__all__ = ["INSTALL_HINT", "evaluate"]
