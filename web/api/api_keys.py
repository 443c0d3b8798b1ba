"""API keys under `/api/v1/api-keys` for an admin key: list them and revoke one (the CLI's
`support-desk api-key list|revoke`). Any other key is refused with 403 and the refusal audited."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import BaseModel, Field

from support_desk.core.errors import PermissionDenied
from support_desk.core.tx import UnitOfWork
from web.api.route import Route
from web.api.schemas import Empty
from web.api.schemas_v1 import Out
from web.platform.http import Answer, Caller, View, answer
from web.platform.keys import (
    ApiKeyNotFound,
    RevokeApiKey,
    list_api_keys,
    revoke_api_key,
)


class AdminKeyNeeded(PermissionDenied, code="admin_key_needed"):
    message = "Only an admin API key may manage API keys."


class ApiKeyOut(Out):
    id: int
    name: str
    kind: str = Field(description="bearer or signing")
    admin: bool
    merchantId: str | None = None
    keyId: str | None = None
    createdAt: datetime
    revokedAt: datetime | None = None


class ApiKeyListOut(BaseModel):
    apiKeys: list[ApiKeyOut]


def _admin(caller: Caller) -> None:
    if not caller.key.admin:
        raise AdminKeyNeeded(key=caller.key.name)


async def _list(uow: UnitOfWork, caller: Caller) -> Answer:
    _admin(caller)
    keys = await list_api_keys(uow)
    return answer(200, ApiKeyListOut(apiKeys=[ApiKeyOut.model_validate(key) for key in keys]))


async def _revoke(key_id: int, uow: UnitOfWork, caller: Caller) -> Answer:
    _admin(caller)
    revoked = await revoke_api_key(uow, RevokeApiKey(key_id, caller.actor))
    return answer(200, ApiKeyOut.model_validate(revoked))


ROUTES: Final = (
    Route(
        "GET",
        "/api/v1/api-keys",
        View(_list),
        "api-keys:list",
        "Every API key, live and revoked (an admin key only)",
        response=ApiKeyListOut,
        admin_only=True,
    ),
    Route(
        "POST",
        "/api/v1/api-keys/{id}/revocation",
        View(_revoke, ApiKeyNotFound),
        "api-keys:revoke",
        "Revoke an API key: its next request, in any process, is a 401 (an admin key only)",
        Empty,
        response=ApiKeyOut,
        admin_only=True,
    ),
)
