"""What services raise; views and the API turn them into answers."""

from django.core.exceptions import PermissionDenied


class ServiceError(Exception):
    """The request is understood but cannot be carried out; `message` says why."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Conflict(ServiceError):
    """The object's current state forbids the change (HTTP 409)."""

    code = "conflict"


class NotAllowed(PermissionDenied):
    """The actor sees the object but may not do this (HTTP 403)."""
