"""What the request and my-tickets buttons carry: an action, the object's id and at most one
short choice, never a customer (that comes from the chat link).

The choices a flow gathers live in FSM state on the server, keyed to the flow's message; a
button only says which step it answers. Packed data stays within Telegram's 64 bytes; ids
outside the database's range and unknown choices do not parse, so a forged button falls
through to the fallback handler.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.callbacks import Id

OptionalId = Annotated[int, Field(ge=0, le=2**31 - 1)]  # 0: none
Choice = Annotated[str, Field(max_length=16, pattern=r"^[a-z_]*$")]  # a choice's value


class RefundReason(StrEnum):
    """B6: the short list of why a customer asks for a refund (labels in keyboards_requests)."""

    DUPLICATE = "dup"
    NOT_USED = "unused"
    NOT_WORKING = "broken"
    WRONG_AMOUNT = "amount"
    OTHER = "other"


class RefundTo(StrEnum):
    """B6: the customer's preference; the values are billing's Remainder values."""

    MONEY_BACK = "refund"
    ACCOUNT_CREDIT = "account_credit"


class When(StrEnum):
    """B5: when the customer wants the service to stop."""

    NOW = "now"
    PERIOD_END = "period_end"


class AskAct(StrEnum):
    REFUND = "r"  # B6: request a refund of a paid or partly paid invoice
    SPLIT = "p"  # B7: change the services on a compound invoice
    SERVICES = "v"  # B5: cancel a service billed on this invoice


class AskCD(CallbackData, prefix="rq"):
    """The request buttons under an invoice."""

    act: AskAct
    invoice_id: Id


class RefundAct(StrEnum):
    WHY = "w"  # value: a RefundReason
    SKIP = "k"  # no words
    TO = "t"  # value: a RefundTo
    SEND = "s"
    BACK = "b"  # to the reasons


class RefundCD(CallbackData, prefix="rf"):
    act: RefundAct
    invoice_id: Id
    value: Choice = ""


class SplitAct(StrEnum):
    ON = "on"  # tick a line (set, not toggle: a double tap cannot undo itself)
    OFF = "off"
    ONLY = "o"  # "no, change only this invoice": to the line selection
    DONE = "d"
    SEND = "s"
    BACK = "b"
    PAGE = "p"  # value: the page of lines to show


class SplitCD(CallbackData, prefix="sp"):
    act: SplitAct
    invoice_id: Id
    line_id: OptionalId = 0
    page: OptionalId = 0


class ServiceAct(StrEnum):
    PICK = "p"  # when should it stop?
    WHEN = "w"  # value: a When
    SEND = "s"


class ServiceCD(CallbackData, prefix="sv"):
    """B5: the service is re-read as the customer's own on every press; `invoice_id` (0: none)
    is the invoice the request started from, kept on the ticket."""

    act: ServiceAct
    service_id: Id
    invoice_id: OptionalId = 0
    value: Choice = ""


class FlowAct(StrEnum):
    STOP = "x"  # leave the flow; nothing is sent


class FlowCD(CallbackData, prefix="fl"):
    act: FlowAct


class TicketAct(StrEnum):
    SHOW = "s"
    REPLY = "r"  # the next text goes to this ticket


class TicketCD(CallbackData, prefix="tk"):
    act: TicketAct
    ticket_id: Id


class TicketsCD(CallbackData, prefix="tl"):
    """A page of My tickets: `after` is the last ticket id of the previous page (0: first)."""

    after: OptionalId = 0


class QuestionAct(StrEnum):
    SEND = "s"  # open a question ticket with the text kept in FSM state
    DROP = "d"


class QuestionCD(CallbackData, prefix="qa"):
    act: QuestionAct
