"""Errors a service raises; each face turns them into its own form
(problem+json on the API, a message on the page, one stderr line in the CLI)."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class ValidationFailed(ServiceError, ValueError):
    status = 422
    title = "Invalid input"


class Unauthenticated(ServiceError):
    status = 401
    title = "Not authenticated"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class ConsentRequired(Forbidden):
    title = "Consent required"


class NotFound(ServiceError, LookupError):
    """Also used for another tenant's records, so their existence is not revealed."""

    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class NotMigrated(ServiceError):
    status = 503
    title = "Database not migrated"
