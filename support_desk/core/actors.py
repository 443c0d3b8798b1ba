"""Who acts: every service function is told, and every audit row records it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"
    SYSTEM = "system"
    API = "api"


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting party. `id` is the customer id, user id or API key name; `name` is for logs."""

    kind: ActorKind
    id: str
    name: str = ""

    @classmethod
    def customer(cls, customer_id: int) -> Actor:
        return cls(ActorKind.CUSTOMER, str(customer_id))

    @classmethod
    def agent(cls, user_id: int, name: str = "") -> Actor:
        return cls(ActorKind.AGENT, str(user_id), name)

    @classmethod
    def admin(cls, user_id: int, name: str = "") -> Actor:
        return cls(ActorKind.ADMIN, str(user_id), name)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(ActorKind.SYSTEM, name, name)

    @classmethod
    def api(cls, key_name: str) -> Actor:
        return cls(ActorKind.API, key_name, key_name)

    @property
    def is_staff(self) -> bool:
        return self.kind in (ActorKind.AGENT, ActorKind.ADMIN)

    @property
    def customer_id(self) -> int | None:
        return int(self.id) if self.kind is ActorKind.CUSTOMER else None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_label(cls, label: str) -> Actor:
        """The actor a stored `label` names (a decision carried out later, by its author)."""
        kind, _, actor_id = label.partition(":")
        return cls(ActorKind(kind), actor_id)
