"""Resolving a ticket (T5) with the form its kind calls for: refund (B6), compound split (B7),
service cancellation (B5), answer a question or convert it, or reject with a reason. Each is
one use case of ticketing's; the form's token is its idempotency key, so a double submit
issues one credit note and shows it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

import ticketing
from ticketing.commands import (
    ConvertQuestion,
    RejectTicket,
    ResolveCompoundSplit,
    ResolveQuestion,
    ResolveRefund,
    ResolveServiceCancellation,
)
from ticketing.models import TicketKind
from ticketing.read_models import Resolution
from web.console import forms
from web.console.actions import act
from web.console.context import form_key, user
from web.console.previews import destination
from web.console.routes import Access, ConsoleRoute

KINDS = tuple(k.value for k in TicketKind if k is not TicketKind.QUESTION)


def _back(request: web.Request) -> str:
    return f"/console/tickets/{forms.path_id(request)}"


def _outcome(result: Resolution) -> str:
    return "awaiting_approval" if result.ticket.awaiting_approval else "resolved"


async def _common(request: web.Request) -> tuple[Any, dict[str, Any]]:
    form = await request.post()
    base = {"ticket_id": forms.path_id(request), "actor": user(request).actor,
            "idempotency_key": form_key(request),
            "expected_version": forms.number(form, "version")}  # fmt: skip
    return form, base


async def refund(request: web.Request) -> web.Response:
    async def build() -> ResolveRefund:
        form, base = await _common(request)
        to, payment_id = destination(form)
        minor = forms.number(form, "amount_minor")
        lines, note = forms.ids(form, "lines"), forms.text(form, "note")
        return ResolveRefund(
            to=to, amount_minor=minor, line_ids=lines, note=note, payment_id=payment_id, **base
        )

    return await act(request, ticketing.resolve_refund, build, back=_back(request), done=_outcome)


async def split(request: web.Request) -> web.Response:
    async def build() -> ResolveCompoundSplit:
        form, base = await _common(request)
        drop, note = forms.ids(form, "lines"), forms.text(form, "note")
        return ResolveCompoundSplit(drop_line_ids=drop, note=note, **base)

    return await act(
        request, ticketing.resolve_compound_split, build, back=_back(request), done=_outcome
    )


async def reinvoice(request: web.Request) -> web.Response:
    async def build() -> ResolveCompoundSplit:
        form, base = await _common(request)
        keep = forms.ids(form, "keep")
        if not keep:
            raise forms.BadForm(field="keep")
        return ResolveCompoundSplit(keep=(keep,), note=forms.text(form, "note"), **base)

    return await act(
        request, ticketing.resolve_compound_split, build, back=_back(request), done=_outcome
    )


WHEN = ("now", "period_end")


async def services(request: web.Request) -> web.Response:
    async def build() -> ResolveServiceCancellation:
        form, base = await _common(request)
        chosen, note = forms.ids(form, "services"), forms.text(form, "note")
        later = forms.choice({"when": form.get("when", "now")}, "when", WHEN) == "period_end"
        return ResolveServiceCancellation(
            service_ids=chosen, note=note, at_period_end=later, **base
        )

    def done(result: Resolution) -> str:
        return "scheduled" if result.scheduled else "resolved"

    return await act(
        request, ticketing.resolve_service_cancellation, build, back=_back(request), done=done
    )


async def answer(request: web.Request) -> web.Response:
    async def build() -> ResolveQuestion:
        form, base = await _common(request)
        return ResolveQuestion(answer=forms.text(form, "text"), **base)

    return await act(
        request, ticketing.resolve_question, build, back=_back(request), done="resolved"
    )


async def convert(request: web.Request) -> web.Response:
    async def build() -> ConvertQuestion:
        form, base = await _common(request)
        kind = TicketKind(forms.choice(form, "kind", KINDS))
        invoice, lines = forms.number(form, "invoice_id"), forms.ids(form, "lines")
        chosen = forms.ids(form, "services")
        return ConvertQuestion(
            kind=kind, invoice_id=invoice, line_ids=lines, service_ids=chosen, **base
        )

    return await act(
        request, ticketing.convert_question, build, back=_back(request), done="converted"
    )


async def reject(request: web.Request) -> web.Response:
    async def build() -> RejectTicket:
        form, base = await _common(request)
        return RejectTicket(reason=forms.text(form, "reason"), **base)

    return await act(request, ticketing.reject_ticket, build, back=_back(request), done="rejected")


def _route(name: str, handler: Any) -> ConsoleRoute:
    return ConsoleRoute("POST", f"/console/tickets/{{id}}/{name}", handler, Access.AGENT)


ROUTES = [
    _route("refund", refund),
    _route("split", split),
    _route("reinvoice", reinvoice),
    _route("terminate", services),
    _route("answer", answer),
    _route("convert", convert),
    _route("reject", reject),
]
