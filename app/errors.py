"""Errors the domain raises for the web layer to turn into a clear message and status.

They sit at the bottom of the layers (beside ``models``) so every layer can raise them: ``stats``
rejects a malformed query with ``ValidationFailed`` without importing ``services``, and the views map
any of them to a form error, a toast or a JSON error with one handler (``app/web/errors.py``).
"""

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


class Forbidden(ServiceError):
    """An action this user may not take (e.g. an admin disabling their own login)."""

    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration (fail closed): a serving process exits with it."""
