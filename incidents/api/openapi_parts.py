"""Building blocks of the OpenAPI description (``openapi.py``), shared with the modules that
describe their own paths (``evidence.openapi_paths``)."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
ITEM = {"$ref": "#/components/schemas/EvidenceItem"}
LISTED = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}


def answers(schema: dict, ok: str = "200", *errors: str) -> dict:
    found = {ok: {"description": "OK", "content": {"application/json": {"schema": schema}}}}
    for code in errors:
        found[code] = {"description": "Refused", "content": {"application/json": {"schema": ERROR}}}
    return found


def query(name: str, schema: dict, description: str = "", repeat: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description,
                 "schema": {"type": "array", "items": schema} if repeat else schema}
    if repeat:
        parameter.update(style="form", explode=True)
    return parameter


def path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
