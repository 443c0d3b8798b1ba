"""The offline demo's web chat over real HTTP: a browser-like client against the emulator, the real
bot behind it (webhook -> inbox -> Dispatcher -> outbox delivery), on both backends where the
database matters. The page is read as a browser would, by its forms and links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import func, select

import billing
import ticketing
from billing.models import InvoiceStatus
from bot.demo import DEMO_CUSTOMER, DEMO_PHONE, demo_user, seed_demo
from bot.emulator import BotApiEmulator, EmulatedUser
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot.customer_bot import CustomerBot, customer_bot
from tests.factories import STAFF
from ticketing.models import Ticket

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


class Page(HTMLParser):
    """A page as a browser sees it: its elements, its words, and what each button submits."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.words: list[str] = []
        self.buttons: dict[str, tuple[str, dict[str, str]]] = {}  # label -> (action, form)
        self._form: tuple[str, dict[str, str]] | None = None
        self._button: tuple[str | None, list[str]] | None = None
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if tag == "form":
            self._form = (values.get("action", ""), {})
        elif tag == "input" and self._form is not None and values.get("type") == "hidden":
            self._form[1][values["name"]] = values.get("value", "")
        elif tag == "button":
            self._button = (dict(attrs).get("value"), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self._form is not None:
            value, label = self._button
            fields = dict(self._form[1]) | ({"button": value} if value is not None else {})
            self.buttons[" ".join("".join(label).split())] = (self._form[0], fields)
            self._button = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        self.words.append(data)
        if self._button is not None:
            self._button[1].append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.words).split())

    def button(self, start: str) -> tuple[str, dict[str, str]]:
        """The last button whose label starts with `start` (the newest message's)."""
        found = [form for label, form in self.buttons.items() if label.startswith(start)]
        assert found, f"no button {start!r} on the page: {sorted(self.buttons)}"
        return found[-1]

    def links(self, part: str) -> list[str]:
        return [a["href"] for tag, a in self.elements if tag == "a" and part in a.get("href", "")]


@dataclass
class Answer:
    status: int
    location: str
    page: Page
    headers: Any


@pytest.fixture
async def browser(emulator: BotApiEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=emulator.url) as session:
        yield session


@pytest.fixture
async def stack(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> AsyncIterator[CustomerBot]:
    async with customer_bot(tx, emulator, bot, texts) as stack:
        yield stack


async def get(browser: aiohttp.ClientSession, path: str, **headers: str) -> Answer:
    async with browser.get(path, headers=headers) as response:
        markup = await response.text()
        return Answer(response.status, str(response.url), Page(markup), response.headers)


async def post(
    browser: aiohttp.ClientSession, path: str, form: dict[str, str], **headers: str
) -> Answer:
    async with browser.post(path, data=form, headers=headers, allow_redirects=False) as response:
        markup = await response.text()
        return Answer(response.status, response.headers.get("Location", ""), Page(markup), {})


async def click(browser: aiohttp.ClientSession, page: Page, label: str) -> Answer:
    action, form = page.button(label)
    return await post(browser, action, form)


async def settle(stack: CustomerBot) -> None:
    """Every update the page made was handled, and the outbox delivered."""
    world, feed = stack.emulator.world, stack.emulator.feed
    emitted = set(world.update_times)
    await world.wait_until(lambda: emitted <= {u for u, code in feed.deliveries if code == 200})
    await stack.processor.idle()
    await stack.delivery.drain()


async def chat(browser: aiohttp.ClientSession, user: EmulatedUser) -> Page:
    answer = await get(browser, f"/chat/{user.id}")
    assert answer.status == 200
    return answer.page


def state(emulator: BotApiEmulator) -> tuple[int, dict[int, int]]:
    """What a refused request must leave as it was: updates made, messages in each chat."""
    world = emulator.world
    return len(world.update_times), {chat: len(ms) for chat, ms in world.chats.items()}


async def cancellable(tx: Transactor) -> str:
    customer = await tx.read(billing.queries.customer_by_external_id, DEMO_CUSTOMER)
    page = await tx.read(
        billing.queries.invoices_page, customer_id=customer.id, statuses=[InvoiceStatus.UNPAID]
    )
    [invoice] = [i for i in page.items if not i.is_compound]
    assert invoice.number is not None
    return invoice.number


async def status_of(tx: Transactor, number: str) -> str:
    customer = await tx.read(billing.queries.customer_by_external_id, DEMO_CUSTOMER)
    page = await tx.read(billing.queries.invoices_page, customer_id=customer.id)
    return next(i.status for i in page.items if i.number == number)


async def test_the_demo_customer_links_the_chat_and_cancels_an_invoice_from_the_page(
    tx: Transactor, emulator: BotApiEmulator, stack: CustomerBot, browser: aiohttp.ClientSession
) -> None:
    await seed_demo(tx)
    alex = demo_user(emulator)
    number = await cancellable(tx)

    first = await get(browser, "/")
    started = await post(browser, f"/chat/{alex.id}/send", {"text": "/start"})
    await settle(stack)
    greeted = await chat(browser, alex)
    shared = await click(browser, greeted, "📞 Share my phone number")
    await settle(stack)
    linked = await chat(browser, alex)

    assert first.status == 200 and first.location.endswith(f"/chat/{alex.id}")
    assert started.status == 303 and started.location == f"/chat/{alex.id}#end"
    assert "Hello, Alex! This is Support Desk." in greeted.text
    assert shared.status == 303
    assert f"Shared contact: {DEMO_PHONE}" in linked.text
    assert "Connected to Alex Morgan" in linked.text.replace(" .", ".")
    # the seeded invoices, waiting for the chat, are one summary as they are now (BOT_UX §6)
    assert "While this chat was not connected:" in linked.text
    assert len([label for label in linked.buttons if label.startswith("INV-")]) == 4

    await post(browser, f"/chat/{alex.id}/send", {"text": "/invoices"})
    await settle(stack)
    listed = await chat(browser, alex)
    await click(browser, listed, f"{number} ·")
    await settle(stack)
    await click(browser, await chat(browser, alex), "Cancel invoice")
    await settle(stack)
    await click(browser, await chat(browser, alex), "Yes, cancel it")
    await settle(stack)
    cancelled = await chat(browser, alex)

    assert "Open ones first, then paid and cancelled." in listed.text
    assert f"Invoice {number} is cancelled. The credit note follows." in cancelled.text
    assert "There is nothing left to pay on this invoice." in cancelled.text
    assert "edited" in cancelled.text
    [document] = cancelled.links(f"/chat/{alex.id}/files/")
    async with browser.get(document) as response:
        assert response.status == 200
        assert response.content_type == "application/pdf"
        assert (await response.read()).startswith(b"%PDF")
    assert await status_of(tx, number) == InvoiceStatus.CANCELED


async def test_a_paid_invoice_offers_a_refund_and_the_request_opens_a_refund_ticket(
    tx: Transactor, emulator: BotApiEmulator, stack: CustomerBot, browser: aiohttp.ClientSession
) -> None:
    await seed_demo(tx)
    alex = demo_user(emulator)
    customer = await tx.read(billing.queries.customer_by_external_id, DEMO_CUSTOMER)
    invoices = await tx.read(billing.queries.invoices_page, customer_id=customer.id)
    [paid] = [i for i in invoices.items if i.status == InvoiceStatus.PAID]
    await post(browser, f"/chat/{alex.id}/contact", {})
    await settle(stack)
    await click(browser, await chat(browser, alex), f"{paid.number} ·")
    await settle(stack)
    page = await chat(browser, alex)
    [shown] = [m for m in alex.received() if f"Invoice {paid.number}" in (m.text or "")]
    await click(browser, page, "Request a refund")
    await settle(stack)
    asked = await chat(browser, alex)
    before_sending = await tx.read(tickets_on, paid.id)
    for label in ("I was charged twice", "Skip", "Back to my", "Send request"):
        await click(browser, await chat(browser, alex), label)
        await settle(stack)
    after = await chat(browser, alex)

    assert "Request a refund" in [b["text"] for b in shown.buttons()]
    assert "Talk to a person" not in [b["text"] for b in shown.buttons()]  # B6: a refund
    assert "Cancel invoice" not in page.text  # paid
    assert "Why do you want a refund?" in asked.text
    assert before_sending == 0  # a ticket only once the request is sent
    assert "Request sent: ticket #" in after.text
    assert "We received your request: ticket #" in after.text
    [ticket] = (await tx.read(ticketing.tickets_of_customer, customer.id, STAFF)).items
    assert ticket.kind == "refund" and ticket.details == {"reason": "dup", "to": "refund"}
    assert ticket.amount_minor is not None and ticket.amount_minor > 0
    assert await tx.read(tickets_on, ticket.invoice_id or 0) == 1


async def tickets_on(uow: UnitOfWork, invoice_id: int) -> int:
    query = select(func.count()).select_from(Ticket).where(Ticket.invoice_id == invoice_id)
    return int(await uow.session.scalar(query) or 0)


async def test_what_the_user_and_the_bot_write_is_shown_inert(
    emulator: BotApiEmulator, bot: Bot, browser: aiohttp.ClientSession
) -> None:
    alex = demo_user(emulator)
    evil = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=SCRIPT, callback_data="x")],
            [InlineKeyboardButton(text="link", url="javascript:alert(1)")],
        ]
    )

    await post(browser, f"/chat/{alex.id}/send", {"text": f"{SCRIPT} {IMG}"})
    await bot.send_message(alex.id, f"{SCRIPT} {IMG}", parse_mode=None, reply_markup=evil)
    await bot.send_message(
        alex.id,
        "<b>bold</b> &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x "
        'onerror=alert(1)&gt; <a href="javascript:alert(1)">js</a> '
        '<a href="https://example.com/" onclick="alert(1)">ok</a> <tg-spoiler>psst</tg-spoiler>',
    )
    page = await chat(browser, alex)

    scripts = [a for tag, a in page.elements if tag == "script"]
    assert scripts == [{"src": "/static/chat.js", "defer": ""}]
    assert not [tag for tag, _ in page.elements if tag in ("img", "iframe", "style", "object")]
    assert not [n for _, a in page.elements for n in a if n.startswith("on") or n == "style"]
    hrefs = [a.get("href", "") for tag, a in page.elements if tag == "a"]
    assert "https://example.com/" in hrefs
    assert not [h for h in hrefs if "javascript" in h.lower()]
    assert page.text.count(f"{SCRIPT} {IMG}") == 3  # the user's, the bot's plain and HTML ones
    assert "<b>bold</b>" in page.markup and "<tg-spoiler>psst</tg-spoiler>" in page.markup
    assert SCRIPT in page.buttons  # a label, escaped


async def test_bad_requests_are_refused_politely_and_change_nothing(
    emulator: BotApiEmulator, bot: Bot, browser: aiohttp.ClientSession
) -> None:
    alex, nophone = demo_user(emulator), emulator.user(42, "Nobody")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ping", callback_data="ping")]]
    )
    sent = await bot.send_message(alex.id, "menu", reply_markup=keyboard)
    own = alex.send("mine")
    chat_url, before = f"/chat/{alex.id}", state(emulator)
    other_port = emulator.url.rsplit(":", 1)[0] + ":1"
    message_id, own_id = str(sent.message_id), str(own["message"]["message_id"])
    hi, away = {"text": "hi"}, "did not come from"
    cross, same_site = {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}
    press, send = f"{chat_url}/press", f"{chat_url}/send"
    refusals = [
        (await get(browser, "/chat/999999"), 404, "There is no such user"),
        (await get(browser, "/chat/abc"), 404, "There is no such user"),
        (await post(browser, "/chat/999999/send", {"text": "hi"}), 404, "no such user"),
        (await post(browser, send, {"text": ""}), 400, "write something"),
        (await post(browser, send, {"text": " \n "}), 400, "write something"),
        (await post(browser, send, {"text": "x" * 4097}), 400, "too long"),
        (await post(browser, send, {}), 400, "write something"),
        (
            await post(browser, press, {"message_id": "999", "button": "0"}),
            400,
            "not in this chat",
        ),
        (
            await post(browser, press, {"message_id": own_id, "button": "0"}),
            400,
            "not in this chat",
        ),
        (await post(browser, press, {"message_id": message_id}), 400, "button"),
        (await post(browser, press, {"message_id": message_id, "button": "1"}), 400, "button"),
        (await post(browser, press, {"message_id": message_id, "data": "pong"}), 400, "button"),
        (await post(browser, "/chat/42/contact", {}), 400, "no phone number"),
        (await post(browser, send, hi, **cross), 403, away),
        (await post(browser, send, hi, **same_site), 403, away),
        (await post(browser, send, hi, Origin="https://evil.example"), 403, away),
        (await post(browser, send, hi, Origin=other_port), 403, away),
        (await post(browser, f"{chat_url}/contact", {}, Origin="null"), 403, away),
        (await get(browser, chat_url, Host="evil.example:80"), 403, away),
        (await get(browser, f"{chat_url}/files/nope"), 404, "no such file"),
        (await get(browser, "/static/secrets.txt"), 404, "There is no such page"),
    ]

    for answer, status, words in refusals:
        assert (answer.status, words in answer.page.text) == (status, True), answer.page.text
        assert "Nothing was sent or changed." in answer.page.text
    assert state(emulator) == before
    assert nophone.visible() == []


async def test_a_same_origin_post_and_the_longest_message_go_through(
    emulator: BotApiEmulator, browser: aiohttp.ClientSession
) -> None:
    alex = demo_user(emulator)
    emulator.webchat.settle_seconds = 0.0  # no bot is listening here
    longest = "я" * 4096

    same = await post(browser, f"/chat/{alex.id}/send", {"text": "hi"}, Origin=emulator.url)
    fetch = await post(
        browser,
        f"/chat/{alex.id}/send?lang=ru",
        {"text": longest},
        **{"Sec-Fetch-Site": "same-origin"},
    )

    assert (same.status, fetch.status) == (303, 303)
    assert fetch.location == f"/chat/{alex.id}?lang=ru#end"
    assert [m.text for m in alex.visible()] == ["hi", longest]


async def test_a_document_is_served_only_in_its_own_chat(
    emulator: BotApiEmulator, bot: Bot, browser: aiohttp.ClientSession
) -> None:
    alex, other = demo_user(emulator), emulator.user(43, "Other")
    await bot.send_document(alex.id, BufferedInputFile(b"<html>x</html>", "a.html"))
    [link] = (await chat(browser, alex)).links("/files/")
    file_id = link.rsplit("/", 1)[1]

    async with browser.get(link) as mine:
        body, headers = await mine.read(), mine.headers
    elsewhere = await get(browser, f"/chat/{other.id}/files/{file_id}")

    assert body == b"<html>x</html>"
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in headers["Content-Security-Policy"]
    assert elsewhere.status == 404


async def test_the_page_speaks_russian_when_asked_and_runs_no_inline_code(
    emulator: BotApiEmulator, browser: aiohttp.ClientSession
) -> None:
    alex = demo_user(emulator)

    english = await get(browser, f"/chat/{alex.id}", **{"Accept-Language": "de-DE,de;q=0.9"})
    by_query = await get(browser, f"/chat/{alex.id}?lang=ru")
    by_header = await get(
        browser, f"/chat/{alex.id}", **{"Accept-Language": "fr;q=0.5, ru-RU;q=0.9, en;q=0.8"}
    )
    css = await get(browser, "/static/chat.css")
    script = await get(browser, "/static/chat.js")
    rendered = Texts().render("demo/error.html", locale="ru", code=404, reason="x", back="/", q="")

    assert "Send" in english.page.text and "Отправить" not in english.page.text
    assert "Отправить" in by_query.page.text and "Отправить" in by_header.page.text
    assert "Поделиться номером телефона" in by_query.page.text
    assert "Ничего не отправлено и не изменено." in rendered
    assert english.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert (css.status, css.headers["Content-Type"].split(";")[0]) == (200, "text/css")
    assert script.headers["Content-Type"].split(";")[0] == "text/javascript"
    assert "<style" not in english.page.markup and " style=" not in english.page.markup
    assert [a for tag, a in english.page.elements if tag == "script" and not a.get("src")] == []
