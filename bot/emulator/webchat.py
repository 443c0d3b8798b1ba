"""The web chat of the offline demo: a person in a browser acts as a Telegram user of the emulator.

Served by the emulator's own app on loopback: `GET /` (the chat, or the users), `GET
/chat/{user_id}` and its live part `.../messages`, `POST .../send|press|contact` (answered 303,
POST-redirect-GET) and the documents the bot sent. Every action goes through `EmulatedUser`, so a
press on the page is the very update a test's press is. Bot messages are Telegram HTML shown
through nh3 with Telegram's tags only; all other text is escaped by the templates
(`templates/demo/`). A refused request changes nothing and gets a page saying why.
"""

from __future__ import annotations

import contextlib
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn
from urllib.parse import quote

import nh3
from aiohttp import web
from markupsafe import Markup, escape
from multidict import MultiDictProxy

from bot.emulator.methods import Params
from bot.emulator.objects import ALLOWED_TAGS
from bot.emulator.user import EmulatedUser
from bot.emulator.world import ChatMessage, Document, World
from bot.transport.splitter import MESSAGE_LIMIT, utf16_len
from support_desk.core.texts import FAVICON, LOCALES, TEMPLATES_DIR, Texts, negotiate_locale

STATIC = {
    "chat.css": (TEMPLATES_DIR / "demo" / "static" / "chat.css", "text/css"),
    "chat.js": (TEMPLATES_DIR / "demo" / "static" / "chat.js", "text/javascript"),
    "favicon.svg": (FAVICON, "image/svg+xml"),
}
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes a browser post forms as Origin: null
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# A document is the bot's bytes: never a page of ours that could run anything.
FILE_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox"}
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}},
    allowed_classes={"span": {"tg-spoiler"}},
    url_schemes={"http", "https", "mailto", "tg"},
    url_relative="deny",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    link_rel="noopener noreferrer nofollow",
)


class Refused(Exception):
    """A request turned down whole: `demo/error.html` says why, with this HTTP status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True, slots=True)
class Button:
    index: int
    text: str
    url: str | None  # a link button (http and https only)
    pressable: bool  # carries callback data


@dataclass(frozen=True, slots=True)
class Bubble:
    kind: ClassVar[str] = "message"
    message_id: int
    from_bot: bool
    body: Markup | None
    rows: list[list[Button]]
    document: Document | None
    phone: str | None
    edited: bool
    time: str
    at: float


@dataclass(frozen=True, slots=True)
class Notice:  # what the bot answered to a press (Telegram shows it as a toast)
    kind: ClassVar[str] = "notice"
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class ReplyButton:
    text: str
    request_contact: bool


class WebChat:
    """The page's memory beside the world: each user's phone, and what the world keeps only as
    plain text or drops (the bot's HTML, the reply keyboard each chat shows)."""

    def __init__(self, world: World, texts: Texts | None = None, host: str = "127.0.0.1") -> None:
        self.world = world
        self.texts = texts or Texts()
        self.hosts = LOOPBACK | {host}
        self.settle_seconds = 1.5  # how long a POST waits for the bot before redirecting
        self.phones: dict[int, str] = {}
        self.sources: dict[tuple[int, int], str] = {}  # (chat, message) -> Telegram HTML
        self.keyboards: dict[int, dict[str, Any]] = {}  # chat -> reply keyboard shown
        self.presses: dict[int, list[str]] = {}  # chat -> callback query ids pressed

    def bot_called(self, method: str, params: Params, result: Any) -> None:
        """Listens to every successful Bot API call."""
        sent = method in ("sendmessage", "senddocument", "editmessagetext", "editmessagecaption")
        if not sent or not isinstance(result, dict):
            return
        key = (int(result["chat"]["id"]), int(result["message_id"]))
        captioned = method in ("senddocument", "editmessagecaption")
        source = params.text("caption" if captioned else "text")
        if source and (params.text("parse_mode") or "").upper() == "HTML":
            self.sources[key] = source
        else:
            self.sources.pop(key, None)
        markup = params.json("reply_markup")
        if not method.startswith("edit") and isinstance(markup, dict):
            if "keyboard" in markup:
                self.keyboards[key[0]] = markup
            elif markup.get("remove_keyboard"):
                self.keyboards.pop(key[0], None)

    def user(self, user_id: str) -> EmulatedUser:
        if not user_id.isdigit() or int(user_id) not in self.world.users:
            raise Refused(404, "unknown_user")
        return EmulatedUser(self.world, self.world.users[int(user_id)])

    def send(self, user: EmulatedUser, text: str) -> None:
        if not text.strip():
            raise Refused(400, "empty_text")
        if utf16_len(text) > MESSAGE_LIMIT:
            raise Refused(400, "text_too_long")
        user.send(text)

    def press(
        self, user: EmulatedUser, message_id: int | None, index: int | None, data: str
    ) -> None:
        message = self.world.find(user.id, message_id) if message_id is not None else None
        if message is None or not message.from_bot:
            raise Refused(400, "no_such_message")
        buttons = message.buttons()
        if index is not None:
            button = buttons[index] if 0 <= index < len(buttons) else None
        else:
            button = next((b for b in buttons if data and b.get("callback_data") == data), None)
        if button is None or not button.get("callback_data"):
            raise Refused(400, "no_such_button")
        update = user.press(button["callback_data"], message)
        self.presses.setdefault(user.id, []).append(update["callback_query"]["id"])

    def share_contact(self, user: EmulatedUser) -> None:
        phone = self.phones.get(user.id)
        if phone is None:
            raise Refused(400, "no_phone")
        user.send_contact(phone)

    def document(self, user: EmulatedUser, file_id: str) -> Document:
        for message in user.visible():
            document = message.document
            if document is not None and document.file_id == file_id and document.content:
                return document
        raise Refused(404, "no_such_file")

    def activity(self, user: EmulatedUser) -> tuple[int, int, int]:
        received = user.received()
        answered = [c for c in self.presses.get(user.id, []) if self._answer(c) is not None]
        return len(received), sum(m.edit_count for m in received), len(answered)

    async def wait_for_bot(self, user: EmulatedUser) -> None:
        """Give the bot a moment to answer, so a page without JavaScript shows the reply."""
        before = self.activity(user)
        with contextlib.suppress(TimeoutError):
            await self.world.wait_until(lambda: self.activity(user) != before, self.settle_seconds)

    def page(self, user: EmulatedUser) -> dict[str, Any]:
        """What the templates show: the chat as the user sees it, and their keyboard."""
        items: list[Bubble | Notice] = [self._bubble(m) for m in user.visible()]
        notices = (self._answer(c) for c in self.presses.get(user.id, []))
        items += [notice for notice in notices if notice is not None]
        return {
            "user_id": user.id,
            "user_name": user.user["first_name"],
            "bot_name": self.world.bot_user["first_name"],
            "items": sorted(items, key=lambda item: item.at),
            "keyboard": self._reply_rows(user.id),
            "can_share": user.id in self.phones,
        }

    def _answer(self, callback_id: str) -> Notice | None:
        record = self.world.callbacks.get(callback_id)
        if record is None or record.answered_at is None or not record.answer:
            return None
        return Notice(record.answer, record.answered_at)

    def _bubble(self, message: ChatMessage) -> Bubble:
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        numbered, index = [], 0
        for row in rows:
            numbered.append([_button(index + n, b) for n, b in enumerate(row)])
            index += len(row)
        return Bubble(
            message_id=message.message_id,
            from_bot=message.from_bot,
            body=self._body(message),
            rows=numbered,
            document=message.document,
            phone=(message.contact or {}).get("phone_number"),
            edited=message.edit_count > 0,
            time=datetime.fromtimestamp(message.date, UTC).astimezone().strftime("%H:%M"),
            at=message.received_at,
        )

    def _body(self, message: ChatMessage) -> Markup | None:
        text = message.text if message.text is not None else message.caption
        if text is None:
            return None
        source = self.sources.get((message.chat_id, message.message_id))
        if message.from_bot and source is not None:
            return Markup(_CLEANER.clean(source))  # nh3 keeps Telegram's tags only
        return escape(text)

    def _reply_rows(self, chat_id: int) -> list[list[ReplyButton]]:
        markup = self.keyboards.get(chat_id) or {}
        rows = markup.get("keyboard", [])
        return [[ReplyButton(b["text"], bool(b.get("request_contact"))) for b in r] for r in rows]


def _button(index: int, button: dict[str, Any]) -> Button:
    url = button.get("url")
    safe = url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    return Button(index, str(button.get("text", "")), safe, bool(button.get("callback_data")))


WEBCHAT = web.AppKey("webchat", WebChat)


def locale_of(request: web.Request, default: str = "en") -> str:
    """`?lang=` first, then the browser's Accept-Language, by weight."""
    accept = request.headers.get("Accept-Language", "")
    return negotiate_locale(request.query.get("lang", ""), accept, default)


def _query(request: web.Request) -> str:
    """The `?lang=` a page was asked with, kept on its links and forms."""
    lang = request.query.get("lang", "")
    return f"?lang={lang}" if lang in LOCALES else ""


def _render(
    request: web.Request, template: str, status: int = 200, **context: Any
) -> web.Response:
    texts = request.app[WEBCHAT].texts
    page = texts.render(f"demo/{template}", locale_of(request), q=_query(request), **context)
    return web.Response(text=page, status=status, content_type="text/html")


def _chat_user(request: web.Request) -> tuple[WebChat, EmulatedUser]:
    """The chat and its user; an action taken on a page in Russian comes from a Telegram app in
    Russian (the update's `language_code`), as it would on a phone set to that language."""
    chat = request.app[WEBCHAT]
    user = chat.user(request.match_info["user_id"])
    if request.method == "POST":
        user.user["language_code"] = locale_of(request)
    return chat, user


def _field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _number(form: MultiDictProxy[Any], name: str) -> int | None:
    value = _field(form, name).strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


async def _back_to_chat(request: web.Request, chat: WebChat, user: EmulatedUser) -> NoReturn:
    await chat.wait_for_bot(user)
    raise web.HTTPSeeOther(f"/chat/{user.id}{_query(request)}#end")


async def index(request: web.Request) -> web.Response:
    users = list(request.app[WEBCHAT].world.users.values())
    if len(users) == 1:
        raise web.HTTPSeeOther(f"/chat/{users[0]['id']}{_query(request)}")
    return _render(request, "users.html", users=users)


async def chat_page(request: web.Request) -> web.Response:
    chat, user = _chat_user(request)
    return _render(request, "chat.html", **chat.page(user))


async def live_part(request: web.Request) -> web.Response:
    chat, user = _chat_user(request)
    return _render(request, "live.html", **chat.page(user))


async def send(request: web.Request) -> web.Response:
    chat, user = _chat_user(request)
    chat.send(user, _field(await request.post(), "text"))
    await _back_to_chat(request, chat, user)


async def press(request: web.Request) -> web.Response:
    chat, user = _chat_user(request)
    form = await request.post()
    chat.press(user, _number(form, "message_id"), _number(form, "button"), _field(form, "data"))
    await _back_to_chat(request, chat, user)


async def contact(request: web.Request) -> web.Response:
    chat, user = _chat_user(request)
    chat.share_contact(user)
    await _back_to_chat(request, chat, user)


async def document(request: web.Request) -> web.Response:
    chat, user = _chat_user(request)
    found = chat.document(user, request.match_info["file_id"])
    pdf = "application/pdf" in (found.mime_type, mimetypes.guess_type(found.file_name)[0])
    disposition = f"{'inline' if pdf else 'attachment'}; filename*=UTF-8''{quote(found.file_name)}"
    headers = {**FILE_HEADERS, "Content-Disposition": disposition}
    kind = "application/pdf" if pdf else "application/octet-stream"
    return web.Response(body=found.content, content_type=kind, headers=headers)


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise Refused(404, "not_found")
    path, kind = STATIC[name]
    return web.Response(body=path.read_bytes(), content_type=kind)


def _check_origin(request: web.Request, chat: WebChat) -> None:
    """Only this page, on loopback, may act: a foreign Host (DNS rebinding), a cross-site
    fetch or a form posted from another origin (another port is another origin) is refused."""
    if request.url.host not in chat.hosts:
        raise Refused(403, "cross_site")
    if request.method == "GET":
        return
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise Refused(403, "cross_site")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise Refused(403, "cross_site")


@web.middleware
async def _webchat_only(request: web.Request, handler: Any) -> web.StreamResponse:
    name = request.match_info.route.name or ""
    if not name.startswith("webchat:"):
        return await handler(request)  # type: ignore[no-any-return]
    try:
        _check_origin(request, request.app[WEBCHAT])
        return await handler(request)  # type: ignore[no-any-return]
    except Refused as refused:
        user_id = request.match_info.get("user_id", "")
        known = user_id.isdigit() and int(user_id) in request.app[WEBCHAT].world.users
        back = f"/chat/{user_id}" if known else "/"
        context = {"code": refused.status, "reason": refused.reason, "back": back}
        return _render(request, "error.html", refused.status, **context)


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if (request.match_info.route.name or "").startswith("webchat:"):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)


def setup_webchat(app: web.Application, chat: WebChat) -> None:
    app[WEBCHAT] = chat
    app.middlewares.append(_webchat_only)
    app.on_response_prepare.append(_headers)
    routes = [
        ("GET", "/", index, "index"),
        ("GET", "/chat/{user_id}", chat_page, "chat"),
        ("GET", "/chat/{user_id}/messages", live_part, "messages"),
        ("POST", "/chat/{user_id}/send", send, "send"),
        ("POST", "/chat/{user_id}/press", press, "press"),
        ("POST", "/chat/{user_id}/contact", contact, "contact"),
        ("GET", "/chat/{user_id}/files/{file_id}", document, "file"),
        ("GET", "/static/{name}", static, "static"),
    ]
    for method, path, handler, name in routes:
        add = app.router.add_get if method == "GET" else app.router.add_post  # GET: HEAD too
        add(path, handler, name=f"webchat:{name}")
