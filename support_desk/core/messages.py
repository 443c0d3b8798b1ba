"""Customer messages as types (T8): one small frozen dataclass per kind of message, defined beside
the use case that sends it, so a message's shape is written once and checked by mypy.

    @dataclass(frozen=True, kw_only=True)
    class TicketOpened(CustomerMessage, kind="ticket_opened"):
        ticket_id: int

    uow.notify(customer_id, TicketOpened(ticket_id=t.id))

The outbox row keeps the shape it always had: the `kind` column and a JSON payload holding the
fields by name. Rows queued before messages were typed therefore read back as their type with no
migration; a key a type no longer has is ignored, so removing a field keeps old rows readable.
A kind no type claims reads back as None (the bot's delivery then renders it the old way).

No `slots=True` on message dataclasses: it makes a second class, and the registry would keep the
first one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import TypeAdapter, ValidationError

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TYPES: dict[str, type[CustomerMessage]] = {}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {}  # built on first use, once the dataclass exists


class MessageUnreadable(ValueError):
    """An outbox row of a known kind whose payload does not fit its type."""


class CustomerMessage:
    """Base of every message kind; `kind` names its row, its template and its catalog entries."""

    kind: ClassVar[str]

    def __init_subclass__(cls, /, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not kind:  # an abstract base or mixin
            return
        if not _KIND.match(kind):
            raise ValueError(f"a message kind is a short snake_case name, not {kind!r}")
        earlier = _TYPES.get(kind)
        if earlier is not None and earlier.__qualname__ != cls.__qualname__:
            raise ValueError(f"message kind {kind!r} is taken by {earlier.__qualname__}")
        cls.kind = kind
        _TYPES[kind] = cls

    def payload(self) -> dict[str, Any]:
        """The fields as JSON values (dates as ISO text), for the outbox row."""
        dumped: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return dumped


def message_types() -> Mapping[str, type[CustomerMessage]]:
    """Every registered kind and its type (those whose modules were imported)."""
    return dict(_TYPES)


def read_message(kind: str, payload: Mapping[str, Any]) -> CustomerMessage | None:
    """The typed message of an outbox row; None for a kind no type claims."""
    message_type = _TYPES.get(kind)
    if message_type is None:
        return None
    try:
        message: CustomerMessage = _adapter(message_type).validate_python(dict(payload))
    except ValidationError as exc:
        raise MessageUnreadable(f"outbox payload does not fit {kind!r}: {exc}") from exc
    return message


def _adapter(message_type: type[CustomerMessage]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(message_type.kind)
    if adapter is None:
        adapter = _ADAPTERS[message_type.kind] = TypeAdapter(message_type)
    return adapter
