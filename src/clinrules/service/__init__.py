"""A CDS Hooks 2.0 service over checked rulesets (`clinrules serve`; extra `clinrules[service]`).

In: checked rulesets, FHIR R4 prefetch in CDS Hooks requests. Out: a FastAPI
app (`create_app`) whose `patient-view` services answer with cards (`cards`,
pure functions from a decision), and an append-only audit log (`audit`).
Needs FastAPI (and uvicorn to run it) and `clinrules[fhir]`; without them,
importing this package raises an ImportError that says how to install them.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'clinrules[service]'"

try:
    import fastapi  # noqa: F401  (the app is a FastAPI app)
    import fhir.resources.R4B  # noqa: F401  (prefetch is imported with clinrules.fhir)
    import jwt  # noqa: F401  (callers' tokens are verified with PyJWT and cryptography)
except ImportError:
    raise ImportError(
        f"the CDS Hooks service needs FastAPI, uvicorn, fhir.resources and PyJWT, which are not all installed; "
        f"install them with {INSTALL_HINT}"
    ) from None

from clinrules.service.app import create_app  # noqa: E402

__all__ = ["INSTALL_HINT", "create_app"]
