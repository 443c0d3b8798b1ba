"""The ticket page and the thread's actions: claim, release, reassign (admins), reply, internal
note (T3, T4); and, from the customer's panel, keeping a service set to stop (B5)."""

from __future__ import annotations

from aiohttp import web

import billing
import ticketing
from billing.commands import KeepService
from ticketing.commands import AddNote, ClaimTicket, ReassignTicket, ReleaseTicket, ReplyToTicket
from ticketing.people import Person, people
from ticketing.ticket_context import ticket_context
from web.console import forms
from web.console.actions import act
from web.console.admin.composer import composer
from web.console.context import console, form_key, user
from web.console.previews import preview_for
from web.console.render import render
from web.console.routes import Access, ConsoleRoute


async def ticket_page(request: web.Request) -> web.Response:
    ticket_id, actor = forms.path_id(request), user(request).actor
    tx = console(request).tx
    try:
        found = await tx.read(ticket_context, ticket_id, actor)
    except ticketing.errors.TicketNotFound:
        return render(request, "console/missing.html", status=404)
    preview = await preview_for(request, found)
    threshold = console(request).settings.billing.approval_threshold_minor
    page, saved = "console/ticket.html", await composer(request, found)
    staff = await _reassignable(request, found.ticket.assignee_id)
    return render(
        request,
        page,
        c=found,
        t=found.ticket,
        threshold=threshold,
        composer=saved,
        reassignable=staff,
        **preview,
    )


async def _reassignable(request: web.Request, holder: int | None) -> tuple[Person, ...]:
    """For an admin, the active agents and admins the ticket can go to; nobody for an agent."""
    if not user(request).is_admin:
        return ()
    everyone = await console(request).tx.read(people, user(request).actor)
    return tuple(p for p in everyone if p.active and p.id != holder)


def _back(request: web.Request) -> str:
    return f"/console/tickets/{forms.path_id(request)}"


async def claim(request: web.Request) -> web.Response:
    async def build() -> ClaimTicket:
        return ClaimTicket(forms.path_id(request), user(request).actor, form_key(request))

    return await act(request, ticketing.claim_ticket, build, back=_back(request), done="claimed")


async def release(request: web.Request) -> web.Response:
    async def build() -> ReleaseTicket:
        version = forms.number(await request.post(), "version")
        return ReleaseTicket(
            forms.path_id(request), user(request).actor, form_key(request), version
        )

    return await act(
        request, ticketing.release_ticket, build, back=_back(request), done="released"
    )


async def reassign(request: web.Request) -> web.Response:
    """T3: an admin hands the ticket to another agent (the route is admin-only)."""

    async def build() -> ReassignTicket:
        form = await request.post()
        assignee = forms.number(form, "assignee", required=True)
        version = forms.number(form, "version")
        return ReassignTicket(
            forms.path_id(request),
            int(assignee or 0),
            user(request).actor,
            form_key(request),
            version,
        )

    return await act(
        request, ticketing.reassign_ticket, build, back=_back(request), done="reassigned"
    )


async def reply(request: web.Request) -> web.Response:
    async def build() -> ReplyToTicket:
        form = await request.post()
        wait = form.get("wait") == "1"
        text = forms.text(form, "text")
        return ReplyToTicket(
            forms.path_id(request), text, user(request).actor, form_key(request), wait
        )

    return await act(
        request, ticketing.reply_to_ticket, build, back=_back(request), done="replied"
    )


async def note(request: web.Request) -> web.Response:
    async def build() -> AddNote:
        text = forms.text(await request.post(), "text")
        return AddNote(forms.path_id(request), text, user(request).actor, form_key(request))

    return await act(request, ticketing.add_note, build, back=_back(request), done="noted")


async def keep_service(request: web.Request) -> web.Response:
    """B5: the customer changed their mind; the termination set for the period's end is off."""

    async def build() -> KeepService:
        service_id = forms.path_id(request, "service_id")
        return KeepService(service_id, user(request).actor, form_key(request))

    return await act(request, billing.keep_service, build, back=_back(request), done="kept")


ROUTES = [
    ConsoleRoute("GET", "/console/tickets/{id}", ticket_page, Access.AGENT),
    ConsoleRoute("POST", "/console/tickets/{id}/claim", claim, Access.AGENT),
    ConsoleRoute("POST", "/console/tickets/{id}/release", release, Access.AGENT),
    ConsoleRoute("POST", "/console/tickets/{id}/reassign", reassign, Access.ADMIN),
    ConsoleRoute("POST", "/console/tickets/{id}/reply", reply, Access.AGENT),
    ConsoleRoute("POST", "/console/tickets/{id}/note", note, Access.AGENT),
    ConsoleRoute(
        "POST", "/console/tickets/{id}/services/{service_id}/keep", keep_service, Access.AGENT
    ),
]
