"""The customer always knows where the money is, end to end through the Bot API emulator on
both databases: the invoice list (open and settled, paged), an invoice's page with its dated
history and credit-note PDFs, the cancel confirmation showing the credit note to come, a voided
credit note after an undo, account credit paying a new invoice, and forged buttons."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aiogram import Bot

import billing
import ticketing
from billing.commands import (
    CancelInvoice,
    DeliverInvoice,
    IssueCreditNote,
    Remainder,
    UndoCancellation,
)
from billing.read_models import CreditNoteView, CustomerView, InvoiceView
from bot.chats import link_of_user
from bot.emulator import BotApiEmulator, ChatMessage, EmulatedUser
from bot.money_callbacks import DocumentCD, ListCD, OpenCD
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import CustomerBot, customer_bot, refusals_audited, shown
from tests.factories import STAFF, line, make_customer, make_invoice, pay, read_invoice
from ticketing.commands import OpenTicket


@dataclass(frozen=True)
class Seen:
    """A bot message as it was at one moment (the emulator's message changes with edits)."""

    message_id: int
    text: str
    buttons: tuple[str, ...]
    document: bytes | None = None
    caption: str = ""


def seen(message: ChatMessage) -> Seen:
    document = message.document.content if message.document else None
    buttons = tuple(b["text"] for b in message.buttons())
    return Seen(message.message_id, message.text or "", buttons, document, message.caption or "")


def labels(message: ChatMessage | Seen) -> list[str]:
    return (
        list(message.buttons)
        if isinstance(message, Seen)
        else [b["text"] for b in message.buttons()]
    )


def last(user: EmulatedUser) -> Seen:
    return seen(user.received()[-1])


async def send(stack: CustomerBot, user: EmulatedUser, text: str) -> Seen:
    await stack.delivery.drain()  # what was queued arrives first, so the answer is last
    await stack.settle(user.send(text))
    return last(user)


async def press(
    stack: CustomerBot, user: EmulatedUser, label: str, message: ChatMessage | None = None
) -> dict[str, Any]:
    update = user.press(label, message)
    await stack.settle(update)
    return update


def forge(user: EmulatedUser, data: str, message: ChatMessage | None = None) -> dict[str, Any]:
    """A press with data the client chose (MTProto lets it send any bytes), on `message` or
    the newest one."""
    message = message or user.received()[-1]
    query = {
        "id": user.world.new_callback_id(),
        "from": user.user,
        "message": user.world.message_object(message),
        "chat_instance": str(user.id * 7919),
        "data": data,
    }
    return user.world.emit(callback_query=query)


def starting(message: ChatMessage | Seen, prefix: str) -> str:
    return next(label for label in labels(message) if label.startswith(prefix))


async def delivered(tx: Transactor, customer: CustomerView, *lines: Any) -> InvoiceView:
    invoice = await make_invoice(tx, customer, *lines)
    return await tx.run(billing.deliver_invoice, DeliverInvoice(invoice.id, actor=STAFF))


async def credited(
    tx: Transactor, invoice: InvoiceView, amount: int, remainder: Remainder
) -> CreditNoteView:
    note = IssueCreditNote(invoice.id, "goodwill", STAFF, amount_minor=amount, remainder=remainder)
    return await tx.run(billing.issue_credit_note, note)


async def test_invoices_lists_open_then_settled_in_pages_and_a_cancelled_one_says_so(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    paid = await make_invoice(tx, customer, line(9900))
    await pay(tx, paid, paid.total_minor)
    cancelled = await make_invoice(tx, customer, line(500))
    await tx.run(billing.cancel_invoice, CancelInvoice(cancelled.id, "duplicate", STAFF))
    unpaid = [await make_invoice(tx, customer, line(1000 * n)) for n in range(1, 5)]
    async with customer_bot(tx, emulator, bot, texts) as stack:
        listing = await send(stack, ann, "/invoices")
        first = labels(listing)
        await press(stack, ann, "›")
        second = labels(last(ann))
        toast = await press(stack, ann, "2 / 2")
        await press(stack, ann, "‹")
        await press(stack, ann, starting(last(ann), f"{cancelled.number} ·"))
        page = last(ann)
        await press(stack, ann, "‹ Back")
        back = last(ann)

    assert "Invoices · page 1 of 2" in (listing.text or "")
    assert [label.split(" ·")[0] for label in first[:5]] == [
        *(i.number for i in reversed(unpaid)),
        cancelled.number,
    ]  # open first, newest first; then settled
    assert first[4].endswith("Cancelled") and first[5:] == ["‹", "1 / 2", "›", "Menu"]
    assert second[0].startswith(f"{paid.number} ·") and second[0].endswith("Paid")
    assert stack.answer_to(toast) == shown(texts, "bot/money/pager_toast.html")
    assert page.message_id == listing.message_id  # every step edits the one message
    assert "Cancelled" in (page.text or "") and "nothing to pay on it" in (page.text or "")
    assert "Cancel invoice" not in labels(page) and f"{page.text}".count("Cancelled") >= 2
    assert labels(back)[:5] == first[:5]


async def test_an_invoice_page_shows_its_dated_history_and_sends_the_pdfs(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    invoice = await delivered(tx, customer, line(10000, rate_bp=0, name="Hosting S"))
    await pay(tx, invoice, 10000)
    first = await credited(tx, invoice, 3000, Remainder.REFUND)
    second = await credited(tx, invoice, 2000, Remainder.ACCOUNT_CREDIT)
    ask = OpenTicket(
        customer.id, ticketing.TicketKind.QUESTION, "why?", Actor.customer(customer.id)
    )
    ticket = await tx.run(ticketing.open_ticket, replace(ask, invoice_id=invoice.id))
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, ann, "/invoices")
        await press(stack, ann, starting(last(ann), f"{invoice.number} ·"))
        page = last(ann)
        await press(stack, ann, f"{first.number} PDF")
        document = last(ann)

    text = page.text or ""
    for step in (
        "— Issued, €100.00",
        "— Sent to you",
        "— Payment €100.00",
        f"— Credit note {first.number}, −€30.00",
        "— Refund €30.00 to your payment method, sent",
        f"— Credit note {second.number}, −€20.00",
        "— €20.00 added to your account credit",
        f"— Ticket #{ticket.id} · Open",
    ):
        assert step in text, step
    assert text.index("— Issued") < text.index("— Payment") < text.index("— Refund")
    assert "Hosting S × 1: €100.00" in text and "Paid: €100.00" in text
    assert "Credited: €50.00" in text and "Your account credit: €20.00." in text
    assert labels(page) == [
        "Request a refund",  # B6: paid, so a refund request rather than a person
        f"{first.number} PDF",
        f"{second.number} PDF",
        "‹ Back",
    ]
    assert document.document is not None and document.document.startswith(b"%PDF")
    assert first.number is not None and first.number in document.caption


async def test_the_invoice_page_in_russian(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ivan = await linked_user(tx, emulator, customer.id, language="ru")
    invoice = await delivered(tx, customer, line(10000, rate_bp=0))
    await pay(tx, invoice, 4000)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        listing = await send(stack, ivan, "/invoices")
        await press(stack, ivan, starting(listing, f"{invoice.number} ·"))
        page = last(ivan)

    assert (
        labels(listing)[0].endswith("Оплачен частично") or "Оплачен частично" in labels(listing)[0]
    )
    assert "История" in (page.text or "") and "платёж 40,00" in (page.text or "")
    assert "К оплате: 60,00" in (page.text or "")
    assert labels(page)[0] == texts.gettext("Request a refund", "ru")  # partly paid (B6)


async def test_a_long_invoice_page_still_fits_one_message_and_shows_the_latest_steps(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    """Forty cancellations undone and thirty long lines: the page used to grow
    past Telegram's 4,096 units and the edit failed, so the invoice did not open at all."""
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    names = [f"Dedicated server {n:02} " + "with a very long description " * 6 for n in range(30)]
    invoice = await delivered(tx, customer, *(line(100, name=name[:200]) for name in names))
    me = Actor.customer(customer.id)
    for _ in range(40):
        done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "oops", me))
        assert done.credit_note is not None
        await tx.run(billing.undo_cancellation, UndoCancellation(done.credit_note.id, me))
    ask = OpenTicket(customer.id, ticketing.TicketKind.QUESTION, "why?", me)
    ticket = await tx.run(ticketing.open_ticket, replace(ask, invoice_id=invoice.id))
    async with customer_bot(tx, emulator, bot, texts) as stack:
        listing = await send(stack, ann, "/invoices")
        await press(stack, ann, starting(listing, f"{invoice.number} ·"))
        page = last(ann)

    text = page.text or ""
    assert page.message_id == listing.message_id and text.startswith(f"Invoice {invoice.number}")
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert "Cancel invoice" in labels(page)  # the actions are there: the page opened
    assert "earlier steps" in text and "more lines" in text
    assert "— Cancellation undone, CN-000040 void" in text  # the newest step is kept
    assert f"— Ticket #{ticket.id} · Open" in text


async def test_the_cancel_confirmation_shows_the_credit_note_it_will_issue(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(
            tx, customer, line(4000, name="Hosting S"), line(500, name="IP address")
        )
        await stack.delivery.drain()
        await press(stack, ann, "Cancel invoice")
        asking = last(ann)

    text = asking.text or ""
    assert f"Cancel invoice {invoice.number} for €54.00?" in text
    assert "Hosting S −€40.00" in text and "IP address −€5.00" in text
    assert "Tax −€9.00" in text and "Total −€54.00." in text
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"  # asked, nothing done


async def test_after_an_undo_the_credit_note_message_is_marked_void_and_loses_undo(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, customer)
        await stack.delivery.drain()
        await press(stack, ann, "Cancel invoice")
        await press(stack, ann, "Yes, cancel it")
        note = next(m for m in ann.received() if "Undo cancellation" in labels(m))
        undo_data = note.buttons()[0]["callback_data"]
        clock.advance(minutes=5)
        await press(stack, ann, "Undo cancellation")
        marked = seen(note)
        await stack.settle(forge(ann, undo_data, note))  # a stale second tap

    assert marked.document is not None and marked.document.startswith(b"%PDF")
    assert "VOID — undone" in marked.caption and labels(marked) == []
    assert note.caption is not None and note.caption.count("VOID") == 1 and labels(note) == []
    assert "is undone" in ann.texts()[-1]  # the cancellation_undone message (or already undone)
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"


async def test_b6_account_credit_pays_a_new_invoice_and_the_customer_sees_it(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, name="Ann Example")
    ann = await linked_user(tx, emulator, customer.id)
    old = await make_invoice(tx, customer, line(5000, rate_bp=0))
    await pay(tx, old, 5000)
    credit = IssueCreditNote(old.id, "goodwill", STAFF, remainder=Remainder.ACCOUNT_CREDIT)
    await tx.run(billing.issue_credit_note, credit)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.delivery.drain()
        menu_before = await send(stack, ann, "/menu")
        new = await delivered(tx, customer, line(3000, rate_bp=0))
        await stack.delivery.drain()
        told, invoice_message = map(seen, ann.received()[-2:])
        menu_after = await send(stack, ann, "/menu")
        await press(stack, ann, "Invoices (2)")
        await press(stack, ann, starting(last(ann), f"{new.number} ·"))
        page = last(ann)

    assert new.status == "paid" and new.paid_minor == 3000
    assert "Account credit: €50.00" in (menu_before.text or "")
    assert told.text == shown(
        texts,
        "bot/payment_received.html",
        amount_minor=3000,
        invoice_number=new.number,
        balance_minor=0,
        currency="EUR",
        from_account_credit=True,
    )
    assert "To pay: €0.00" in (invoice_message.text or "")
    assert "Cancel invoice" not in labels(invoice_message)
    assert "Account credit: €20.00" in (menu_after.text or "")
    assert "Nothing to pay right now." in (menu_after.text or "")
    assert "— Paid €30.00 from account credit" in (page.text or "")


async def test_tg5_forged_money_buttons_for_another_customer_are_refused_and_audited(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    mallory, victim = await make_customer(tx), await make_customer(tx)
    eve = await linked_user(tx, emulator, mallory.id)
    target = await make_invoice(tx, victim, line(10000, rate_bp=0))
    await pay(tx, target, 10000)
    note = await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(target.id, "x", STAFF, amount_minor=100, remainder=Remainder.REFUND),
    )
    stranger = emulator.user(9_999, "Stranger")
    before = await read_invoice(tx, target.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, eve, "/invoices")
        await send(stack, stranger, "/invoices")
        forged = [
            forge(eve, OpenCD(invoice_id=target.id).pack()),
            forge(eve, DocumentCD(credit_note_id=note.id).pack()),
            forge(eve, OpenCD(invoice_id=2**31 - 1).pack()),
        ]
        unlinked = forge(stranger, ListCD(page=1).pack())
        await stack.settle(*forged, unlinked)

    refusal = shown(texts, "bot/refusals/not_your_invoice.html")
    assert [stack.answer_to(p) for p in forged] == [refusal] * 3
    assert stack.answer_to(unlinked) == shown(texts, "bot/refusals/not_linked.html")
    assert stranger.texts()[-1] == shown(texts, "bot/refusals/not_linked.html")
    assert not any(m.document for m in eve.received())
    assert await read_invoice(tx, target.id) == before
    audited = await refusals_audited(tx)
    assert [(a.actor_kind, a.actor_id) for a in audited] == [("customer", str(mallory.id))] * 3
    assert await tx.read(link_of_user, stranger.id) is None


async def test_a_confirmation_pressed_after_the_invoice_was_paid_is_refused_in_russian(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ivan = await linked_user(tx, emulator, customer.id, language="ru")
    invoice = await delivered(tx, customer, line(1000))
    async with customer_bot(tx, emulator, bot, texts) as stack:
        listing = await send(stack, ivan, "/invoices")
        await press(stack, ivan, starting(listing, f"{invoice.number} ·"))
        await press(stack, ivan, texts.gettext("Cancel invoice", "ru"))
        asking = ivan.received()[-1]
        await pay(tx, invoice, invoice.total_minor)  # paid while the question was open
        await stack.delivery.drain()
        stale = await press(stack, ivan, texts.gettext("Yes, cancel it", "ru"), asking)
        refused = last(ivan)

    assert stack.answer_to(stale) is None  # answered at once; the refusal is a message
    assert refused.text == shown(texts, "bot/refusals/invoice_paid.html", "ru")
    assert refused.buttons == (texts.gettext("Menu", "ru"),)
    assert (await read_invoice(tx, invoice.id)).status == "paid"
