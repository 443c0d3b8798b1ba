"""Approvals (admins, B11): the pending credit notes first, each with its ticket, agent,
customer, invoice, preview and reason; approve, or reject with a note. Nobody decides their
own: the buttons say why they are disabled, and a forged post is refused by billing."""

from __future__ import annotations

from aiohttp import web

from ticketing.approvals import pending_approvals, recent_decisions
from ticketing.services.decisions import DecideCreditNote, decide_credit_note
from web.console.admin._forms import BadForm, act, field, path_id, refused
from web.console.context import console, form_key, user
from web.console.render import render
from web.console.routes import Access, ConsoleRoute

BACK = "/console/approvals"


async def approvals(request: web.Request) -> web.Response:
    tab = "decided" if request.query.get("tab") == "decided" else "pending"
    tx, actor = console(request).tx, user(request).actor
    pending = await tx.read(pending_approvals, actor)
    decided = await tx.read(recent_decisions, actor) if tab == "decided" else ()
    return render(
        request, "console/admin/approvals.html", tab=tab, pending=pending, decided=decided
    )


async def approve(request: web.Request) -> web.Response:
    try:
        note_id = path_id(request)
    except BadForm:
        return refused(BACK)
    cmd = DecideCreditNote(note_id, True, user(request).actor, "", form_key(request))
    return await act(request, decide_credit_note, cmd, back=BACK, done="approved")


async def reject(request: web.Request) -> web.Response:
    try:
        note_id, note = path_id(request), await field(request, "note", limit=2000)
    except BadForm:
        return refused(BACK)
    cmd = DecideCreditNote(note_id, False, user(request).actor, note, form_key(request))
    return await act(request, decide_credit_note, cmd, back=BACK, done="rejected")


ROUTES = [
    ConsoleRoute("GET", "/console/approvals", approvals, Access.ADMIN),
    ConsoleRoute("POST", "/console/approvals/{id}/approve", approve, Access.ADMIN),
    ConsoleRoute("POST", "/console/approvals/{id}/reject", reject, Access.ADMIN),
]
