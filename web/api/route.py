"""One row of the API's route table: the path and its handler, and what routing, names,
authentication and the OpenAPI document read from it (`web.api.routes` holds the table)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp.typedefs import Handler
from pydantic import BaseModel

from web.platform.http import View


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    view: Handler | View
    name: str
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    admin_only: bool = False  # answers 403 to a key that is not an admin key

    def __post_init__(self) -> None:
        if isinstance(self.view, View) and ("{id}" in self.path) != (
            self.view.missing is not None
        ):
            raise ValueError(f"{self.path}: a path with an id names what is missing, and only it")

    def serve(self) -> Handler:
        """The aiohttp handler: a View's, parsing what this row declares, or the row's own."""
        if isinstance(self.view, View):
            return self.view.handler(self.method, self.body, self.query)
        return self.view

    @property
    def seed_shaped(self) -> bool:
        """Under /invoicing the seed API's error bodies; elsewhere ours."""
        return self.path.startswith("/invoicing/")
