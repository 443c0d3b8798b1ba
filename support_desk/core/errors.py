"""Typed refusals: a stable machine-readable code plus details that feed a localized template."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal every face can explain: bot and console by template, the API by `code`.

    A refusal is declared in one place: `class Refused(Base, code="refused", status=409)` gives
    its stable code and HTTP status (both inherited when left out), and the body its English
    `message`, a format string over the details it is raised with.
    """

    code: ClassVar[str] = "domain_error"
    message: ClassVar[str] = "The request was refused."
    http_status: ClassVar[int] = 400
    audited: ClassVar[bool] = False  # security refusals are kept in the audit log

    def __init_subclass__(
        cls, *, code: str | None = None, status: int | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if status is not None:
            cls.http_status = status

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.sentence())

    def sentence(self) -> str:
        """The English sentence; templates give the localized one."""
        try:
            return self.message.format(**self.details)
        except (KeyError, IndexError, ValueError):
            return self.message


class NotFound(DomainError, code="not_found", status=404):
    message = "Nothing with that id exists."


class PermissionDenied(DomainError, code="permission_denied", status=403):
    message = "You are not allowed to do that."
    audited = True


class IdempotencyKeyReused(DomainError, code="idempotency_key_reused", status=422):
    message = "This idempotency key was already used for a different request."


class RequestInProgress(DomainError, code="request_in_progress", status=409):
    message = "The same request is still being processed; try again in a moment."
