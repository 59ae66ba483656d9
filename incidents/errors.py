"""Typed refusals raised by services; pages and the API turn each into one HTTP answer."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    """Input broke a rule; ``fields`` maps each field to its messages."""

    status = 422
    code = "validation_failed"


class BadRequest(ServiceError):
    """The request itself is malformed (not JSON, not an object)."""


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthorized"


class NotFound(ServiceError):
    """The record does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """Someone saved in between (stale ``version``), or the record is in the wrong state."""

    status = 409
    code = "conflict"


class PossibleDuplicate(Conflict):
    """A new record may well be one already kept: ``matches`` are those, to be offered instead."""

    code = "possible_duplicate"

    def __init__(self, message: str, matches: list):
        super().__init__(message)
        self.matches = matches


class NotReady(ServiceError):
    """Slow work for this request is under way elsewhere; asking again later will do."""

    status = 503
    code = "not_ready"


class Busy(ServiceError):
    """Another request is writing the same thing right now (an upload's next part)."""

    status = 423
    code = "locked"


class TooMany(ServiceError):
    """The caller holds as many of these as one person may (unfinished uploads)."""

    status = 429
    code = "too_many"


class WrongProtocol(ServiceError):
    """The request speaks another version of the protocol than this server (tus)."""

    status = 412
    code = "precondition_failed"


class WrongType(ServiceError):
    """The body is not of the type this endpoint reads."""

    status = 415
    code = "unsupported_media_type"
