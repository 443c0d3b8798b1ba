"""The credit-note register (admins): every credit note with origin, agent, approver, amount,
reason and status; filters in the URL; totals per currency and per week or month drawn on the
server; the same filters as CSV; each credit note's document as HTML and PDF."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from billing import documents
from billing.errors import CreditNoteNotFound
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing.people import Person, people
from ticketing.register import RegisterPage, register_page, register_rows
from ticketing.register_csv import register_csv
from ticketing.register_totals import RegisterTotals, register_totals
from web.console.admin._forms import BadForm, path_id
from web.console.admin.filters import RegisterQuery, register_query
from web.console.admin.register_chart import charts
from web.console.context import console, user
from web.console.render import locale_of, render
from web.console.routes import Access, ConsoleRoute

STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@dataclass(frozen=True, slots=True)
class RegisterData:
    page: RegisterPage
    totals: RegisterTotals
    people: tuple[Person, ...]


async def _read(uow: UnitOfWork, actor: Actor, q: RegisterQuery) -> RegisterData:
    """The page's three reads in one read-only transaction, so they agree."""
    page = await register_page(uow, actor, q.filter, before=q.before)
    totals = await register_totals(
        uow, actor, q.filter, q.granularity, include_pending=q.include_pending
    )
    return RegisterData(page, totals, await people(uow, actor))


def _query(request: web.Request) -> RegisterQuery:
    return register_query(request.query, console(request).tx.clock.now().date())


def filter_string(request: web.Request, **changes: str) -> str:
    """This page's query string with `changes` (an empty value drops the parameter)."""
    params = {k: v for k, v in request.query.items() if k not in changes and v}
    params.update({k: v for k, v in changes.items() if v})
    return urlencode(params)


async def credit_notes(request: web.Request) -> web.Response:
    q, locale = _query(request), locale_of(request)
    data = await console(request).tx.read(_read, user(request).actor, q)
    texts = console(request).texts
    drawn = charts(data.totals, locale, lambda m: texts.gettext(m, locale))
    return render(
        request,
        "console/admin/credit_notes.html",
        q=q,
        data=data,
        charts=drawn,
        csv_query=filter_string(request, before=""),
        next_query=filter_string(request, before=str(data.page.next_before or "")),
    )


async def credit_notes_csv(request: web.Request) -> web.Response:
    q = _query(request)
    rows = await console(request).tx.read(register_rows, user(request).actor, q.filter)
    name = f"credit-notes-{console(request).tx.clock.now().date().isoformat()}.csv"
    return web.Response(
        text=register_csv(rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _document(request: web.Request) -> documents.CreditNoteDocument | None:
    try:
        return await console(request).tx.read(documents.credit_note_document, path_id(request))
    except (BadForm, CreditNoteNotFound):
        return None


def style_hash(html: str) -> str:
    """The CSP source that allows the document's own <style> block, and no other."""
    found = STYLE.search(html)
    digest = hashlib.sha256((found.group(1) if found else "").encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


async def document_html(request: web.Request) -> web.Response:
    doc = await _document(request)
    if doc is None:
        return render(request, "console/admin/not_found.html", status=404)
    html = documents.credit_note_html(doc, console(request).texts, doc.customer.language)
    csp = f"default-src 'none'; style-src {style_hash(html)}; frame-ancestors 'none'"
    return web.Response(
        text=html, content_type="text/html", headers={"Content-Security-Policy": csp}
    )


async def document_pdf(request: web.Request) -> web.Response:
    doc = await _document(request)
    if doc is None:
        return render(request, "console/admin/not_found.html", status=404)
    texts, locale = console(request).texts, doc.customer.language
    body = await asyncio.to_thread(documents.credit_note_pdf, doc, texts, locale)  # CPU work
    name = doc.credit_note.number or f"credit-note-{doc.credit_note.id}"
    disposition = {"Content-Disposition": f'inline; filename="{name}.pdf"'}
    return web.Response(body=body, content_type="application/pdf", headers=disposition)


ROUTES = [
    ConsoleRoute("GET", "/console/credit-notes", credit_notes, Access.ADMIN),
    ConsoleRoute("GET", "/console/credit-notes.csv", credit_notes_csv, Access.ADMIN),
    ConsoleRoute("GET", "/console/credit-notes/{id}/document", document_html, Access.ADMIN),
    ConsoleRoute("GET", "/console/credit-notes/{id}/document.pdf", document_pdf, Access.ADMIN),
]
