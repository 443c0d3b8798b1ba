"""Saved replies (admins): add, change and delete the texts agents insert; deletion is
confirmed by a ticked box, so no script is needed."""

from __future__ import annotations

from aiohttp import web

from ticketing.saved_replies import DeleteSavedReply, SaveReply, delete_saved_reply, save_reply
from web.console.admin._forms import BadForm, act, field, path_id, refused
from web.console.context import form_key, user
from web.console.routes import Access, ConsoleRoute

BACK = "/console/people?tab=replies"


async def _command(request: web.Request, reply_id: int | None) -> SaveReply:
    return SaveReply(
        await field(request, "shortcode", limit=40),
        await field(request, "title", limit=200),
        await field(request, "body_en", limit=4000),
        await field(request, "body_ru", limit=4000),
        user(request).actor,
        reply_id,
        form_key(request),
    )


async def create(request: web.Request) -> web.Response:
    try:
        cmd = await _command(request, None)
    except BadForm:
        return refused(BACK)
    return await act(request, save_reply, cmd, back=BACK, done="reply_saved")


async def change(request: web.Request) -> web.Response:
    try:
        cmd = await _command(request, path_id(request))
    except BadForm:
        return refused(BACK)
    return await act(request, save_reply, cmd, back=BACK, done="reply_saved")


async def delete(request: web.Request) -> web.Response:
    try:
        reply_id, confirmed = path_id(request), await field(request, "confirm")
    except BadForm:
        return refused(BACK)
    if confirmed != "yes":
        return refused(BACK, "not_confirmed")
    cmd = DeleteSavedReply(reply_id, user(request).actor, form_key(request))
    return await act(request, delete_saved_reply, cmd, back=BACK, done="reply_deleted")


ROUTES = [
    ConsoleRoute("POST", "/console/saved-replies", create, Access.ADMIN),
    ConsoleRoute("POST", "/console/saved-replies/{id}", change, Access.ADMIN),
    ConsoleRoute("POST", "/console/saved-replies/{id}/delete", delete, Access.ADMIN),
]
