"""What every console view needs from the application, by typed keys."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment

from support_desk.core.settings import Settings
from support_desk.core.texts import LOCALES, Texts
from support_desk.core.tx import Transactor
from web.console.sessions import ConsoleUser


@dataclass(frozen=True, slots=True)
class Console:
    tx: Transactor
    settings: Settings
    texts: Texts

    @property
    def secret(self) -> str:
        return self.settings.secret_key.get_secret_value()


CONSOLE = web.AppKey("console", Console)
USER = web.RequestKey("console_user", ConsoleUser)  # set only for a signed-in request
FORM_TOKEN = web.RequestKey("console_form_token", str)  # the checked token of a POST
PRE_BINDING = web.RequestKey("console_pre_binding", str)  # a login form's fresh binding
JINJA = {locale: web.AppKey(f"console_jinja_{locale}", Environment) for locale in LOCALES}


def console(request: web.Request) -> Console:
    return request.config_dict[CONSOLE]


def user(request: web.Request) -> ConsoleUser:
    """The signed-in user (the guard lets no signed-out request reach an agent's view)."""
    return request[USER]


def form_key(request: web.Request) -> str:
    """The idempotency key of this POST: its form's one-time token, per user (B13)."""
    return f"console:{request[USER].id}:{request[FORM_TOKEN]}"
