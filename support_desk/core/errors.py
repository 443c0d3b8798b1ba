"""Typed refusals: a stable machine-readable code plus details that feed a localized template."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal every face can explain: bot and console by template, the API by `code`."""

    code: ClassVar[str] = "domain_error"
    message: ClassVar[str] = "The request was refused."
    http_status: ClassVar[int] = 400
    audited: ClassVar[bool] = False  # security refusals are kept in the audit log

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.sentence())

    def sentence(self) -> str:
        """The English sentence; templates give the localized one."""
        try:
            return self.message.format(**self.details)
        except (KeyError, IndexError, ValueError):
            return self.message


class NotFound(DomainError):
    code = "not_found"
    message = "Nothing with that id exists."
    http_status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = "You are not allowed to do that."
    http_status = 403
    audited = True


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = "This idempotency key was already used for a different request."
    http_status = 422


class RequestInProgress(DomainError):
    code = "request_in_progress"
    message = "The same request is still being processed; try again in a moment."
    http_status = 409
