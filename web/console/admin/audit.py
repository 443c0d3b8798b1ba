"""The audit log (admins, T6): searchable by actor, object, action and period; read-only, so
it has no form that changes anything."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ticketing.audit_log import audit_page
from web.console.admin.filters import audit_query
from web.console.context import console, user
from web.console.render import render
from web.console.routes import Access, ConsoleRoute


def pretty(value: Any) -> str:
    """Before and after, as indented JSON for the page's <details>."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


async def audit(request: web.Request) -> web.Response:
    f, before, ignored = audit_query(request.query)
    page = await console(request).tx.read(audit_page, user(request).actor, f, before=before)
    kept = {k: v for k, v in request.query.items() if k != "before" and v}
    more = urlencode({**kept, "before": page.next_before}) if page.next_before else ""
    return render(
        request,
        "console/admin/audit.html",
        f=f,
        page=page,
        ignored=ignored,
        pretty=pretty,
        first=urlencode(kept),
        more=more,
        paged=before is not None,
    )


ROUTES = [ConsoleRoute("GET", "/console/audit", audit, Access.ADMIN)]
