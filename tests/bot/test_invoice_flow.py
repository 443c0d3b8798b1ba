"""Invoices in the chat over real HTTP, both backends: the delivered invoice's buttons, cancel
only after a confirmation (B1-B3), a double tap is one cancellation (B13), undo within the window
and a stale undo after it (B4, TG7), talk to a person (T1), forged and malformed buttons (TG5,
TG6)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import billing
import ticketing
from billing.commands import DeliverInvoice, UndoCancellation
from billing.models import CreditNote
from billing.read_models import CustomerView, InvoiceView
from bot.callbacks import InvoiceAct, InvoiceCD, UndoCD
from bot.emulator import BotApiEmulator, ChatMessage, EmulatedUser
from bot.models import InboxRow
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.texts import LOCALES, TEMPLATES_DIR, Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests import backends
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import CustomerBot, count, customer_bot, refusals_audited, shown
from tests.factories import STAFF, line, make_customer, make_invoice, make_service, read_invoice
from ticketing.models import Ticket

CANCEL, TALK, UNDO = "Cancel invoice", "Talk to a person", "Undo cancellation"
YES, NO = "Yes, cancel it", "No, keep it"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return backends.prepare_postgres()


async def delivered(
    tx: Transactor, stack: CustomerBot, customer: CustomerView, *lines: Any
) -> InvoiceView:
    invoice = await make_invoice(tx, customer, *lines)
    await tx.run(billing.deliver_invoice, DeliverInvoice(invoice.id, actor=STAFF))
    await stack.delivery.drain()
    return invoice


def labels(message: ChatMessage) -> list[str]:
    return [b["text"] for b in message.buttons()]


def forge(user: EmulatedUser, data: str) -> dict[str, Any]:
    """A press with data the client chose (MTProto lets it send any bytes)."""
    message = user.received()[-1]
    query = {
        "id": user.world.new_callback_id(),
        "from": user.user,
        "message": user.world.message_object(message),
        "chat_instance": str(user.id * 7919),
        "data": data,
    }
    return user.world.emit(callback_query=query)


async def press(stack: CustomerBot, user: EmulatedUser, label: str) -> dict[str, Any]:
    update = user.press(label)
    await stack.settle(update)
    return update


async def test_a_delivered_invoice_reaches_the_chat_with_its_buttons(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer, russian = await make_customer(tx), await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    ivan = await linked_user(tx, emulator, russian.id, language="ru")
    vps, desk = await make_service(tx, customer, name="VPS"), await make_service(tx, customer)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        simple = await delivered(tx, stack, customer)
        await delivered(tx, stack, customer, line(100, service=vps), line(200, service=desk))
        await delivered(tx, stack, russian)

    first, compound = ann.received()
    assert simple.number is not None and simple.number in (first.text or "")
    assert labels(first) == [CANCEL, TALK]
    # B7: never self-service; the right requests instead of a question with nothing at stake
    assert labels(compound) == ["Change services on this invoice", "Cancel a service"]
    assert labels(ivan.received()[0]) == [texts.gettext(CANCEL, "ru"), texts.gettext(TALK, "ru")]
    assert all(len(b["callback_data"].encode()) <= 64 for b in first.buttons())


async def test_cancel_asks_first_then_cancels_and_the_credit_note_arrives_with_its_pdf(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer)
        asked = await press(stack, ann, CANCEL)
        prompt = ann.received()[-1]
        asking = labels(prompt)
        still = await read_invoice(tx, invoice.id)
        yes = await press(stack, ann, YES)

    assert still.status == "unpaid" and asking == [YES, NO]
    answered = emulator.calls("answerCallbackQuery")[-1].at
    assert answered < emulator.calls("editMessageText")[-1].at  # TG13: answer, then work
    assert stack.answer_to(asked) is None and stack.answer_to(yes) is None
    cancelled = await read_invoice(tx, invoice.id)
    assert cancelled.status == "canceled"
    edited, note = ann.received()[-2:]  # the credit note: its PDF, the text as its caption
    assert edited.message_id == prompt.message_id and edited.buttons() == []
    assert invoice.number is not None and invoice.number in (edited.text or "")
    assert "nothing left to pay" in (note.caption or "") and labels(note) == [UNDO]
    assert note.document is not None and note.document.content.startswith(b"%PDF")


async def test_no_keeps_the_invoice(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer)
        await press(stack, ann, CANCEL)
        await press(stack, ann, NO)

    assert ann.texts()[-1] == shown(texts, "bot/flows/kept.html", invoice=invoice)
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"


async def test_b13_a_double_tap_on_yes_cancels_once(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await delivered(tx, stack, customer)
        await press(stack, ann, CANCEL)
        prompt = ann.received()[-1]
        taps = [ann.press(YES, prompt), ann.press(YES, prompt)]
        await stack.settle(*taps)

    assert await count(tx, CreditNote) == 1
    assert [m.document is not None for m in ann.received()].count(True) == 1
    assert all(stack.answer_to(tap) is None for tap in taps)


async def test_b4_undo_within_the_window_makes_the_invoice_unpaid_again(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer)
        await press(stack, ann, CANCEL)
        await press(stack, ann, YES)
        clock.advance(minutes=19)
        await press(stack, ann, UNDO)

    assert (await read_invoice(tx, invoice.id)).status == "unpaid"
    assert "undone" in ann.texts()[-1]  # cancellation_undone, from the outbox
    assert not any(UNDO in labels(m) for m in ann.received())


async def test_tg7_undo_after_the_window_is_refused_and_changes_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id, language="ru")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer)
        await press(stack, ann, texts.gettext(CANCEL, "ru"))
        await press(stack, ann, texts.gettext(YES, "ru"))
        clock.advance(minutes=21)
        await press(stack, ann, texts.gettext(UNDO, "ru"))

    assert ann.texts()[-1] == shown(texts, "bot/refusals/undo_window_passed.html", "ru")
    assert (await read_invoice(tx, invoice.id)).status == "canceled"


async def test_tg7_a_stale_cancel_button_says_it_is_already_done(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer)
        await press(stack, ann, CANCEL)
        stale_prompt = ann.received()[-1]
        await press(stack, ann, CANCEL)
        await press(stack, ann, YES)
        await stack.settle(ann.press(YES, stale_prompt))

    result = await tx.read(billing.queries.invoice_view, invoice.id)
    assert await count(tx, CreditNote) == 1 and result.status == "canceled"
    assert "already cancelled" in (stale_prompt.text or "")


async def test_t1_talk_to_a_person_opens_one_question_ticket_in_the_customers_words(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer)
        await press(stack, ann, TALK)
        prompt = ann.texts()[-1]
        await stack.settle(ann.send("Why is it so high?"))
        opened = ann.texts()
        await stack.settle(ann.send("/invoices"))
        listing = ann.received()[-1]
        await press(stack, ann, labels(listing)[0])
        await press(stack, ann, TALK)
        await stack.settle(ann.send("And when is it due?"))

    (ticket,) = (await tx.read(ticketing.tickets_of_customer, customer.id, STAFF)).items
    ticket = await tx.read(ticketing.ticket_view, ticket.id, STAFF)
    assert ticket.kind == "question" and ticket.invoice_id == invoice.id
    assert [m.text for m in ticket.messages] == ["Why is it so high?", "And when is it due?"]
    assert prompt == shown(texts, "bot/requests/question_prompt.html", invoice=invoice)
    assert any(f"#{ticket.id}" in text for text in opened)
    assert "already have request" in ann.texts()[-1]


async def test_tg5_forged_buttons_naming_another_customers_invoice_are_refused_and_audited(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    mallory, victim = await make_customer(tx), await make_customer(tx)
    eve = await linked_user(tx, emulator, mallory.id)
    bob = await linked_user(tx, emulator, victim.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        target = await delivered(tx, stack, victim)
        await press(stack, bob, CANCEL)
        await press(stack, bob, YES)  # bob's credit note, for the forged undo
        await delivered(tx, stack, mallory)
        note_id = (await read_invoice(tx, target.id)).cancelled_with_id
        assert note_id is not None
        undo = UndoCancellation(credit_note_id=note_id, actor=Actor.customer(victim.id))
        await tx.run(billing.undo_cancellation, undo)
        forged = [InvoiceCD(act=act, invoice_id=target.id).pack() for act in InvoiceAct]
        forged.append(UndoCD(credit_note_id=note_id).pack())
        presses = [forge(eve, data) for data in forged]
        await stack.settle(*presses)

    refusal = shown(texts, "bot/refusals/not_your_invoice.html")
    assert [stack.answer_to(p) for p in presses] == [refusal] * len(forged)
    assert (await read_invoice(tx, target.id)).status == "unpaid"
    assert await count(tx, Ticket) == 0
    audited = await refusals_audited(tx)
    assert [(a.actor_kind, a.actor_id) for a in audited] == [("customer", str(mallory.id))] * 6


async def test_a_stranger_pressing_a_button_is_asked_to_link_first(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    await linked_user(tx, emulator, customer.id)
    stranger = emulator.user(6001, "Stranger")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await make_invoice(tx, customer)
        await stack.settle(stranger.send("/start"))
        pressed = forge(stranger, InvoiceCD(act=InvoiceAct.CONFIRM, invoice_id=invoice.id).pack())
        await stack.settle(pressed)

    assert stack.answer_to(pressed) == shown(texts, "bot/refusals/not_linked.html")
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"


CALLBACK_DATA = st.one_of(
    st.text(max_size=100),
    st.builds(
        "inv:{}:{}".format, st.sampled_from(["s", "c", "y", "n", "t", "x", ""]), st.integers()
    ),
    st.builds("undo:{}".format, st.integers()),
    st.builds("inv:{}".format, st.text(max_size=70)),
    st.just("inv:y:" + "9" * 60),
    st.just("inv:y:٣"),
    st.just(""),
)


def sample(strategy: st.SearchStrategy[str], n: int) -> list[str]:
    """`n` examples, the same on every run (seeded): Hypothesis as the generator, so one stack
    serves them all."""
    found: list[str] = []

    @settings(max_examples=n, database=None, derandomize=True, phases=[Phase.generate])
    @given(strategy)
    def collect(data: str) -> None:
        found.append(data)

    collect()
    return found


async def test_tg6_random_callback_data_never_fails_and_changes_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    victim, mallory = await make_customer(tx), await make_customer(tx)
    await make_invoice(tx, victim)
    eve = await linked_user(tx, emulator, mallory.id)
    strings = [*sample(CALLBACK_DATA, 200), "inv:c:1\x00", "\x00"]  # jsonb refuses NUL
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.settle(eve.send("/start"))
        presses = [forge(eve, data) for data in strings]
        await stack.settle(*presses)

    assert all(stack.answer_to(p) is not None for p in presses)
    inbox = await tx.read(inbox_rows)
    assert {(row.status, row.error) for row in inbox} == {("done", None)}
    assert await count(tx, CreditNote) == 0 and await count(tx, Ticket) == 0
    assert [i.status for i in (await tx.read(billing.queries.invoices_page)).items] == ["unpaid"]


async def inbox_rows(uow: UnitOfWork) -> list[InboxRow]:
    return list((await uow.session.scalars(select(InboxRow))).all())


@pytest.mark.parametrize("locale", LOCALES)
def test_every_flow_and_refusal_template_renders_in_each_language(
    locale: str, texts: Texts
) -> None:
    for path in sorted((TEMPLATES_DIR / "bot/refusals").glob("*.html")):
        text = texts.render(f"bot/refusals/{path.name}", locale, service="VPS S")
        assert text and "%(" not in text and len(text) < 200
