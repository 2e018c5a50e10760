"""Stage 2, schema: a pydantic patient model -> the typed fields a rule can name.

In: a model class (from `clinrules.models` or the caller). Out: a `Schema`
(`reader.py`) whose fields carry types from the closed set of `types.py`,
with the units of `units.py`. The checker types conditions against it, the
IR records it, and the engine validates patients with its model. Next: the
IR (`clinrules.ir`) and the checker (`clinrules.check`).
"""
