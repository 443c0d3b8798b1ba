"""Tickets under `/api/v1/`, read-only: a list (newest first, keyset-paged) and one ticket with
its thread. An API key is an integration, not staff: it reads customer messages and agent
replies, never internal notes (T4). Mounted by `setup_api(..., extra_routes=TICKET_ROUTES)`, so
the key check, the audit of every call, the refusal shapes and the OpenAPI document are billing
API's own."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, field_validator

from support_desk.core.tx import UnitOfWork
from ticketing import queries
from ticketing.errors import TicketNotFound
from ticketing.models import TicketKind, TicketStatus
from web.api.route import Route
from web.api.schemas_v1 import In, Out
from web.api.types import Id, OutMoney, from_minor
from web.platform.http import Answer, Caller, View, answer

# spelled out, not taken from the enums: query parameters need inline enums in the OpenAPI
# document (a $ref cannot be resolved there); a test keeps them equal to the enums
Status = Literal["open", "in_progress", "waiting_on_customer", "resolved", "rejected"]
Kind = Literal["compound_split", "refund", "service_cancellation", "question"]


class TicketQuery(In):
    status: Status | None = None
    kind: Kind | None = None
    customerId: Id | None = None
    after: Id | None = Field(default=None, description="The `nextAfter` of the previous page.")
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class TicketMessageOut(Out):
    id: int
    kind: str = Field(description="customer (through the bot) or reply (from an agent)")
    authorKind: str
    authorName: str
    text: str
    createdAt: datetime


class TicketOut(Out):
    id: int
    kind: str
    status: str
    priority: int = Field(description="0 urgent .. 3 low; lower comes first in the queue")
    customerId: int
    invoiceId: int | None = None
    lineIds: list[int]
    serviceIds: list[int]
    reason: str
    currency: str | None = None
    amount: OutMoney | None = Field(default=None, validation_alias="amount_minor")
    assigneeId: int | None = None
    createdAt: datetime
    updatedAt: datetime
    firstResponseDueAt: datetime
    resolutionDueAt: datetime
    firstRespondedAt: datetime | None = None
    paused: bool
    overdue: bool
    awaitingApproval: bool
    creditNoteId: int | None = None
    resolution: dict[str, Any] | None = None
    rejectionReason: str | None = None
    closedAt: datetime | None = None
    rating: int | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _major(cls, minor: int | None) -> Decimal | None:
        """A ticket's amount at stake is read in minor units (B12)."""
        return None if minor is None else from_minor(minor)


class TicketDetailOut(TicketOut):
    messages: list[TicketMessageOut]


class TicketPageOut(BaseModel):
    items: list[TicketOut]
    nextAfter: int | None = None


async def _tickets(query: TicketQuery, uow: UnitOfWork, _caller: Caller) -> Answer:
    page = await queries.tickets_page(
        uow,
        status=None if query.status is None else TicketStatus(query.status),
        kind=None if query.kind is None else TicketKind(query.kind),
        customer_id=query.customerId,
        after=query.after,
        limit=query.limit,
    )
    items = [TicketOut.model_validate(t) for t in page.items]
    return answer(200, TicketPageOut(items=items, nextAfter=page.next_after))


async def _ticket(ticket_id: int, uow: UnitOfWork, _caller: Caller) -> Answer:
    ticket = await queries.external_ticket_view(uow, ticket_id)
    return answer(200, TicketDetailOut.model_validate(ticket))


TICKET_ROUTES: Final = (
    Route(
        "GET",
        "/api/v1/tickets",
        View(_tickets),
        "tickets:list",
        "Tickets, newest first (by id), without their threads",
        query=TicketQuery,
        response=TicketPageOut,
    ),
    Route(
        "GET",
        "/api/v1/tickets/{id}",
        View(_ticket, TicketNotFound),
        "tickets:get",
        "Read a ticket and its thread: customer messages and agent replies, no internal notes",
        response=TicketDetailOut,
    ),
)
