"""Parsing requests and answering them once (B13, M3, M4).

A POST with an idempotency key (the `Idempotency-Key` header, or a signed request's signature)
is answered inside one transaction that first reserves `http:<key id>:<key>`: a replay gets the
first answer's exact bytes and status, the same key with another method, path or body is
refused with 422, and a twin still running gets 409. The billing services under it receive the
key too, namespaced `api:<key id>:<key>:<step>`, so their own replay guards stay in force.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ValidationError

from support_desk.core.actors import Actor
from support_desk.core.errors import (
    DomainError,
    IdempotencyKeyReused,
    NotFound,
    RequestInProgress,
)
from support_desk.core.idempotency import Idempotency
from support_desk.core.tx import UnitOfWork
from web.platform.context import API_KEY, API_TX, IDEMPOTENCY, RENDER_REFUSAL, SIGNED
from web.platform.errors import RequestInvalid, UnsupportedMediaType
from web.platform.keys import ApiKey

M = TypeVar("M", bound=BaseModel)
_ID = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated key and the request's idempotency key, if any."""

    key: ApiKey
    idempotency: str | None

    @property
    def actor(self) -> Actor:
        return Actor.api(self.key.name)

    def key_for(self, step: str) -> str | None:
        """The billing command's key for one step of this request."""
        if self.idempotency is None:
            return None
        return f"api:{self.key.id}:{self.idempotency}:{step}"


@dataclass(frozen=True, slots=True)
class HttpCall:
    """The fingerprint of one HTTP request for idempotent replay."""

    idempotency_key: str
    method: str
    path: str
    body: str


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str


Work = Callable[[UnitOfWork, Caller], Awaitable[Answer]]


def answer(status: int, model: BaseModel) -> Answer:
    return Answer(
        status, json.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=True))
    )


async def _answer_once(
    uow: UnitOfWork, calls: tuple[HttpCall, ...], caller: Caller, work: Work
) -> Answer:
    """Replay the first answer to any of the request's keys (its Idempotency-Key, and for a
    signed request its signature, so a captured request cannot run again under a new key)."""
    guard = Idempotency(uow.session, uow.now)  # its own: billing's services use uow.idempotency
    result = await _earlier_answer(guard, calls)
    if result is None:
        result = await work(uow, caller)
    for call in calls:  # every key this transaction reserved is answered with it
        await guard.remember(call, result)
    return result


async def _earlier_answer(guard: Idempotency, calls: tuple[HttpCall, ...]) -> Answer | None:
    """The answer already given under one of the keys, after looking at (and so reserving)
    all of them: a key is either answered or free, never reserved with no answer."""
    earlier = None
    for call in calls:
        found = await guard.replay(call, Answer)
        earlier = earlier or found
    return earlier


def caller_of(request: web.Request) -> Caller:
    return Caller(request[API_KEY], request.get(IDEMPOTENCY) or request.get(SIGNED))


async def respond(
    request: web.Request, body: BaseModel | None, work: Work, *, idempotent: bool = True
) -> web.Response:
    """Run `work` in one write transaction, once per idempotency key; send its answer.

    `idempotent=False` is for answers that must not be stored (a link token is a secret).
    """
    caller = caller_of(request)
    canonical = "" if body is None else body.model_dump_json()
    keys = {caller.idempotency, request.get(SIGNED)} - {None} if idempotent else set()
    calls = tuple(
        HttpCall(f"http:{caller.key.id}:{key}", request.method, request.path, canonical)
        for key in sorted(k for k in keys if k is not None)
    )
    tx = request.config_dict[API_TX]
    try:
        result = await tx.run(_answer_once, calls, caller, work)
    except DomainError as refusal:
        if not calls or not _final(refusal):
            raise
        rendered = request[RENDER_REFUSAL](refusal, tx.clock.now())
        refused = Answer(rendered.status, rendered.text or "")
        try:
            result = await tx.run(_remember_refusal, calls, refused)
        except RequestInProgress:  # a twin holds a key: it answers it, this rolls back
            result = refused
    return web.Response(status=result.status, text=result.body, content_type="application/json")


def _final(refusal: DomainError) -> bool:
    """A refusal that is the request's answer for good: not a twin still running, not a key
    reused for another request, not a lost race (409: the client should retry)."""
    if isinstance(refusal, RequestInProgress | IdempotencyKeyReused):
        return False
    return refusal.http_status != 409


async def _remember_refusal(
    uow: UnitOfWork, calls: tuple[HttpCall, ...], refused: Answer
) -> Answer:
    """Keep the refusal as the keys' answer (its transaction rolled back, so this is a new
    one): a replay gets these bytes again, and nothing else is written or audited for it. A
    twin that answered first keeps its answer, and that is the answer here too."""
    guard = Idempotency(uow.session, uow.now)
    refused = await _earlier_answer(guard, calls) or refused
    for call in calls:
        await guard.remember(call, refused)
    return refused


async def read(request: web.Request, work: Work) -> web.Response:
    """Run `work` in a read-only transaction (no write lock, no idempotency)."""
    result = await request.config_dict[API_TX].read(work, caller_of(request))
    return web.Response(status=result.status, text=result.body, content_type="application/json")


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The validated body; a body that is not JSON by its Content-Type is a 415, malformed
    JSON, wrong types and unknown fields are a 400."""
    raw = await request.read()
    if raw.strip() and request.content_type != "application/json":
        raise UnsupportedMediaType
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}", strict=True)
    except ValidationError as exc:
        raise RequestInvalid.from_validation(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise RequestInvalid.from_validation(exc) from None


def path_id(request: web.Request, name: str, missing: type[NotFound]) -> int:
    """An id from the path; anything that cannot be one is simply not found."""
    value = request.match_info[name]
    if not _ID.match(value) or int(value) > 2**31 - 1:
        raise missing()
    return int(value)


@dataclass(frozen=True, slots=True)
class View:
    """What a route runs: `work(*given, uow, caller)`, where `given` is the query or the body
    the route declares (a body with no fields is checked, not passed), then the id in its
    path (`missing` when it cannot be one; read first). A GET reads in a read-only
    transaction; anything else writes once per idempotency key (`idempotent=False`: never
    stored)."""

    work: Callable[..., Awaitable[Answer]]
    missing: type[NotFound] | None = None
    idempotent: bool = True

    def handler(
        self, method: str, body: type[BaseModel] | None, query: type[BaseModel] | None
    ) -> Handler:
        """The aiohttp handler that parses what the route declares (the published schema is
        the one enforced) and runs the work."""

        async def handle(request: web.Request) -> web.Response:
            found = [] if self.missing is None else [path_id(request, "id", self.missing)]
            given: BaseModel | None = None
            if query is not None:
                given = parse_query(request, query)
            elif body is not None:
                given = await parse_body(request, body)
            passed = [given] if given is not None and type(given).model_fields else []
            work = partial(self.work, *passed, *found)
            if method == "GET":
                return await read(request, work)
            return await respond(request, given, work, idempotent=self.idempotent)

        return handle
