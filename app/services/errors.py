"""Errors services raise for the web layer to turn into a clear message and status."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out; ``message`` is safe to show to the user."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(ServiceError):
    """Input that does not make sense; nothing was stored."""

    status = 422
    code = "invalid"


class NotFound(ServiceError):
    """The object does not exist *for this user* (another tenant's id looks exactly like a missing one)."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
