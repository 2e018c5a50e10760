"""FHIR R4 patients in: FHIR resources -> the JSON patient of a model, with the provenance of each field.

In: a FHIR Bundle (a dict), or any iterable of Bundles and resource dicts
(CDS Hooks prefetch delivers several), a patient model and its mapping.
Out: `(patient, provenance)`: the JSON-shaped patient `RuleSet.evaluate`
takes, and for each field path set the resource it came from
(`Observation/abc`, or `Bundle.entry[3]` when the resource has no id).

The mapping of a model is data (`sciatica_fhir.json` beside the model, or a
caller's file); fhir.resources (R4B) checks only the structure, and this
package checks codes, statuses and value types itself, because
fhir.resources coerces `"yes"` to true and does not enforce bindings.
Needs the extra `clinrules[fhir]`; without it, importing this package raises
an ImportError that says how to install it.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'clinrules[fhir]'"

try:
    import fhir.resources.R4B  # noqa: F401  (the structure checks need it)
except ImportError:
    raise ImportError(
        f"reading FHIR needs the package fhir.resources, which is not installed; install it with {INSTALL_HINT}"
    ) from None

from clinrules.fhir.importer import from_fhir  # noqa: E402

__all__ = ["INSTALL_HINT", "from_fhir"]
