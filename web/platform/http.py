"""Parsing requests and answering them once (B13, M3, M4).

A POST with an idempotency key (the `Idempotency-Key` header, or a signed request's signature)
is answered inside one transaction that first reserves `http:<key id>:<key>`: a replay gets the
first answer's exact bytes and status, the same key with another method, path or body is
refused with 422, and a twin still running gets 409. The billing use cases under it get no key
of their own: they run in that same transaction, so the request's key already makes them happen
once, and a second guard cost a cancellation 0.7 ms (its fingerprint, a reserve and a remember).
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
from web.platform.context import (
    API_KEY,
    API_TX,
    BEARER,
    CALL_RECORDED,
    IDEMPOTENCY,
    RENDER_REFUSAL,
    SIGNED,
)
from web.platform.errors import RequestInvalid, Unauthorized, UnsupportedMediaType
from web.platform.keys import ApiKey, bearer_key, record_call

M = TypeVar("M", bound=BaseModel)
_ID = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated key the work acts for."""

    key: ApiKey

    @property
    def actor(self) -> Actor:
        return Actor.api(self.key.name)


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


@dataclass(frozen=True, slots=True)
class Request:
    """What the call's audit row (T6) says of the request."""

    method: str
    path: str

    @classmethod
    def of(cls, request: web.Request) -> Request:
        return cls(request.method, request.path_qs)

    async def record(self, uow: UnitOfWork, caller: Caller, answer: Answer) -> None:
        """In the answer's own transaction: the effect and its audit row commit together."""
        await record_call(uow, caller.key, self.method, self.path, answer.status)


Work = Callable[[UnitOfWork, Caller], Awaitable[Answer]]


def answer(status: int, model: BaseModel) -> Answer:
    return Answer(
        status, json.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=True))
    )


@dataclass(slots=True)
class Credentials:
    """A request's credentials: its bearer token, and its key once looked up, inside the
    transaction of the work itself (one transaction less per call)."""

    token: str | None
    key: ApiKey | None
    idempotency: str | None = None

    @classmethod
    def of(cls, request: web.Request) -> Credentials:
        idempotency = request.get(IDEMPOTENCY) or request.get(SIGNED)
        return cls(request.get(BEARER), request.get(API_KEY), idempotency)

    @property
    def actor(self) -> Actor:  # whom a refusal's audit row names (Transactor.run)
        return Actor.api(self.key.name) if self.key else Actor.system("unknown")

    async def caller(self, uow: UnitOfWork) -> Caller:
        if self.key is None and self.token is not None:
            self.key = await bearer_key(uow, self.token)
        if self.key is None:
            raise Unauthorized
        return Caller(self.key)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The request as its idempotency keys remember it (B13)."""

    keys: tuple[str, ...]
    method: str
    path: str
    body: str

    def calls(self, key: ApiKey) -> tuple[HttpCall, ...]:
        return tuple(
            HttpCall(f"http:{key.id}:{k}", self.method, self.path, self.body) for k in self.keys
        )


async def _answer_once(
    uow: UnitOfWork, who: Credentials, work: Work, asked: Request, fingerprint: Fingerprint
) -> Answer:
    """Replay the first answer to any of the request's keys (its Idempotency-Key, and for a
    signed request its signature, so a captured request cannot run again under a new key)."""
    caller = await who.caller(uow)
    calls = fingerprint.calls(caller.key)
    guard = Idempotency(uow.session, uow.now)  # its own: billing's services use uow.idempotency
    result = await _earlier_answer(guard, calls)
    if result is None:
        result = await work(uow, caller)
    for call in calls:  # every key this transaction reserved is answered with it
        await guard.remember(call, result)
    await asked.record(uow, caller, result)
    return result


async def _earlier_answer(guard: Idempotency, calls: tuple[HttpCall, ...]) -> Answer | None:
    """The answer already given under one of the keys, after looking at (and so reserving)
    all of them: a key is either answered or free, never reserved with no answer."""
    earlier = None
    for call in calls:
        found = await guard.replay(call, Answer)
        earlier = earlier or found
    return earlier


async def respond(
    request: web.Request, body: BaseModel | None, work: Work, *, idempotent: bool = True
) -> web.Response:
    """Run `work` in one write transaction, once per idempotency key; send its answer.

    `idempotent=False` is for answers that must not be stored (a link token is a secret).
    """
    who = Credentials.of(request)
    keys = {who.idempotency, request.get(SIGNED)} - {None} if idempotent else set()
    fingerprint = Fingerprint(
        tuple(sorted(k for k in keys if k is not None)),
        request.method,
        request.path,
        "" if body is None else body.model_dump_json(),
    )
    tx, asked = request.config_dict[API_TX], Request.of(request)
    try:
        result = await tx.run(_answer_once, who, work, asked, fingerprint)
    except DomainError as refusal:
        if not fingerprint.keys or not _final(refusal) or who.key is None:
            raise
        rendered = request[RENDER_REFUSAL](refusal, tx.clock.now())
        refused = Answer(rendered.status, rendered.text or "")
        try:
            result = await tx.run(_remember_refusal, who, refused, asked, fingerprint)
        except RequestInProgress:  # a twin holds a key: it answers it, this rolls back
            return _sent(request, who, refused, recorded=False)
    return _sent(request, who, result, recorded=True)


def _sent(
    request: web.Request, who: Credentials, result: Answer, *, recorded: bool
) -> web.Response:
    """The answer; the key, once looked up, is the middleware's to audit a failure with."""
    if who.key is not None:
        request[API_KEY] = who.key
    request[CALL_RECORDED] = recorded
    return web.Response(status=result.status, text=result.body, content_type="application/json")


def _final(refusal: DomainError) -> bool:
    """A refusal that is the request's answer for good: not a twin still running, not a key
    reused for another request, not a lost race (409: the client should retry)."""
    if isinstance(refusal, RequestInProgress | IdempotencyKeyReused):
        return False
    return refusal.http_status != 409


async def _remember_refusal(
    uow: UnitOfWork, who: Credentials, refused: Answer, asked: Request, fingerprint: Fingerprint
) -> Answer:
    """Keep the refusal as the keys' answer (its transaction rolled back, so this is a new
    one): a replay gets these bytes again, and nothing else is written or audited for it. A
    twin that answered first keeps its answer, and that is the answer here too."""
    caller = await who.caller(uow)
    calls = fingerprint.calls(caller.key)
    guard = Idempotency(uow.session, uow.now)
    refused = await _earlier_answer(guard, calls) or refused
    for call in calls:
        await guard.remember(call, refused)
    await asked.record(uow, caller, refused)
    return refused


async def read(request: web.Request, work: Work) -> web.Response:
    """Look the key up, run `work` and record the call (T6) in one transaction, with no
    idempotency: the audit row needs a write anyway, and one transaction costs less than three
    (the key's, the read's, the record's)."""
    who = Credentials.of(request)
    result = await request.config_dict[API_TX].run(_read, who, work, Request.of(request))
    return _sent(request, who, result, recorded=True)


async def _read(uow: UnitOfWork, who: Credentials, work: Work, asked: Request) -> Answer:
    caller = await who.caller(uow)
    result = await work(uow, caller)
    await asked.record(uow, caller, result)
    return result


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
