"""`clinrules.spark.evaluate(df, ruleset, as_of=...)`: the batch on Spark, in one line of a pipeline.

The work is in `clinrules.batch.on_spark` (named so that it never shadows
the `pyspark` package); this module is its public name. Needs the extra
`clinrules[spark]`.
"""

from __future__ import annotations

from clinrules.batch.on_spark import INSTALL_HINT, evaluate

__all__ = ["INSTALL_HINT", "evaluate"]
