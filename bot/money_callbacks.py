"""Buttons of the money screens, the menu and the settings: an action and an id, never a
customer (that comes from the chat link), within Telegram's 64 bytes. Ids outside the
database's range do not parse, so forged data falls through to the fallback handler."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.callbacks import Id

PageNumber = Annotated[int, Field(ge=1, le=10_000)]


class ListCD(CallbackData, prefix="invl"):
    """A page of the invoice list (the pager, and "‹ Back" from an invoice)."""

    page: PageNumber


class OpenCD(CallbackData, prefix="invp"):
    """An invoice's page, remembering the list page to go back to."""

    invoice_id: Id
    page: PageNumber = 1


class DocumentCD(CallbackData, prefix="cnpdf"):
    """Send a credit note's PDF as a new message."""

    credit_note_id: Id


class Screen(StrEnum):
    MENU = "m"
    INVOICES = "i"
    SETTINGS = "s"
    HELP = "h"
    NOOP = "x"  # the pager's middle button: answers with a toast


class MenuCD(CallbackData, prefix="menu"):
    to: Screen


class SettingAct(StrEnum):
    LANGUAGE = "l"
    COMPOUND = "c"
    UNLINK = "u"  # asks first
    UNLINK_CONFIRMED = "y"
    KEEP_LINKED = "n"


class SettingsCD(CallbackData, prefix="set"):
    """A settings change names the state it sets ("set ru", "set off"), never a toggle, so a
    double tap cannot undo itself."""

    act: SettingAct
    value: Annotated[str, Field(pattern=r"^[a-z01]{0,3}$")] = ""
