"""Requests as this app reads them: ids bounded as the database's, uploads spooled into the store."""
from __future__ import annotations

from flask import Request, request
from werkzeug.routing import IntegerConverter

from incidents.evidence.store import EvidenceStore
from incidents.views import settings


class BoundedInt(IntegerConverter):
    """Ids in URLs are 32-bit, as in PostgreSQL: a longer number is a 404, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


# Endpoints that take evidence files: their uploads are hashed into the store as they arrive.
UPLOAD_ENDPOINTS = frozenset({"evidence.upload", "api.evidence_create"})


class AppRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if self.endpoint in UPLOAD_ENDPOINTS:
            spool = EvidenceStore.from_settings(settings()).spool()
            self.__dict__.setdefault("_spools", []).append(spool)
            return spool
        return super()._get_file_stream(total_content_length, content_type, filename, content_length)

    def get_json(self, force=False, silent=False, cache=True):
        """As Flask's, but a body nested deeper than the parser's stack is malformed JSON like any
        other (400), not a server error."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            return None if silent else self.on_json_loading_failed(ValueError(str(exc)))

    def close(self) -> None:
        """Delete every spool not committed into the store: a refused upload leaves nothing."""
        super().close()
        for spool in self.__dict__.get("_spools", []):
            spool.close()


def init_requests(app) -> None:
    app.request_class = AppRequest
    app.url_map.converters["int"] = BoundedInt


def init_upload_limit(app) -> None:
    @app.before_request
    def evidence_upload_limit():
        """Evidence uploads may be as large as the setting allows; every other body stays small."""
        if request.endpoint in UPLOAD_ENDPOINTS or request.endpoint == "api.upload_append":
            request.max_content_length = app.config["SETTINGS"].EVIDENCE_MAX_SIZE + 1024 * 1024
