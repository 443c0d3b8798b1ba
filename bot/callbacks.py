"""What a button carries: an action and an id, never a customer (that comes from the chat link).

Packed data stays within Telegram's 64 bytes; ids outside the database's range do not parse, so
a forged button falls through to the fallback handler instead of reaching a query.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class InvoiceAct(StrEnum):
    SHOW = "s"
    CANCEL = "c"  # asks for confirmation; never cancels on the first tap
    CONFIRM = "y"
    KEEP = "n"
    TALK = "t"


class InvoiceCD(CallbackData, prefix="inv"):
    act: InvoiceAct
    invoice_id: Id


class UndoCD(CallbackData, prefix="undo"):
    credit_note_id: Id


class ReplyCD(CallbackData, prefix="tr"):
    """T4: send the text the customer just wrote (kept in FSM state) to this ticket."""

    ticket_id: Id


class RateCD(CallbackData, prefix="rate"):
    """T7: rate a resolved ticket; ticketing checks that it is the customer's and unrated."""

    ticket_id: Id
    rating: Annotated[int, Field(ge=1, le=5)]
