"""One table drives routing, names, authentication and the OpenAPI document: each resource's
rows stand beside its views, in the order they are mounted and documented."""

from __future__ import annotations

from typing import Final

from web.api import api_keys, invoicing, v1
from web.api.route import Route

__all__ = ["ROUTES", "Route"]

ROUTES: Final = (*invoicing.ROUTES, *v1.ROUTES, *api_keys.ROUTES)
