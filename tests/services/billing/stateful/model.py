"""The plain-dict model the billing machine is checked against, and its small arithmetic."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from billing.money import line_tax
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError
from support_desk.core.tx import UnitOfWork
from tests import backends

T = TypeVar("T")
RATES_BP = (0, 550, 700, 1000, 1900, 2000, 2100)
THRESHOLD = 10_000  # B11 default: 100.00
UNITS = st.integers(1, 15_000) | st.sampled_from([6833, 5750, 8500, 9999, 12_345])
UNDO_MINUTES = 20
STAFF = Actor.system("stateful")
AGENT = Actor.agent(1, "Alice Agent")
ADMIN = Actor.admin(10, "Ada Admin")
ADMIN_2 = Actor.admin(11, "Max Admin")


@functools.cache
def sqlite_template() -> Path:
    """One migrated template per test session, copied for every example."""
    return backends.prepare_sqlite_template(Path(tempfile.mkdtemp(prefix="sd-stateful-")))


def half_up_tax(net: int, rate_bp: int) -> int:
    return (net * rate_bp + 5_000) // 10_000


def derive(total: int, paid: int, settled: int) -> str:
    if total - paid - settled <= 0:
        return "paid" if paid > 0 else "canceled"
    return "partially_paid" if paid > 0 else "unpaid"


@dataclass
class MLine:
    id: int
    service_id: int | None
    quantity: int
    unit: int
    rate_bp: int


def line_total(ln: MLine) -> int:
    net = ln.quantity * ln.unit
    return net + line_tax(net, ln.rate_bp)


@dataclass
class MInvoice:
    id: int
    customer: int
    total: int
    compound: bool
    lines: list[MLine]
    paid: int = 0
    cash_paid: int = 0
    refunded: int = 0
    credited: int = 0
    settled: int = 0

    @property
    def balance(self) -> int:
        return self.total - self.paid - self.settled

    @property
    def status(self) -> str:
        return derive(self.total, self.paid, self.settled)


@dataclass
class MNote:
    id: int
    invoice: int
    kind: str
    status: str
    total: int
    created_by: str
    remainder: str = "none"
    settled: int = 0
    refund: int = 0
    account_credit: int = 0
    self_service: bool = False
    undo_until: datetime | None = None


@dataclass
class Plan:
    """One command, the refusal it must meet (None: it must succeed), and what its success
    does to the model."""

    use_case: Callable[[UnitOfWork, Any], Awaitable[Any]]
    cmd: Any
    error: type[DomainError] | None
    apply: Callable[[Any], None]


@dataclass
class Model:
    invoices: dict[int, MInvoice] = field(default_factory=dict)
    notes: dict[int, MNote] = field(default_factory=dict)
    services: dict[int, list[Any]] = field(default_factory=dict)  # id -> [customer, status]
    account: dict[int, int] = field(default_factory=dict)
    # the drafts a split waiting for an admin left (invoice id -> their lines), and the
    # drafts of a rejected split (cancelled, never issued)
    drafts: dict[int, tuple[int, list[Any]]] = field(default_factory=dict)
    dropped_drafts: set[int] = field(default_factory=set)
