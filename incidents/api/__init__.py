"""The JSON API, /api/v1: the same services as the pages, answered as JSON (floor 2)."""
from incidents.api import (
    conversation,  # noqa: F401  (registers its routes on bp)
    dossiers,  # noqa: F401  (registers its routes on bp)
    evidence,  # noqa: F401
    openapi,  # noqa: F401
    routes,  # noqa: F401
    uploads,  # noqa: F401
)
from incidents.api.blueprint import bp  # noqa: F401
