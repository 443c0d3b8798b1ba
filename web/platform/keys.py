"""API keys: created by an admin (console or CLI), checked on every call (W7).

Bearer keys are 256-bit random strings, so a plain sha256 is a sufficient stored form and lets
the lookup go by index. Signing secrets must be recoverable for HMAC checks, so they are stored
Fernet-encrypted under a key derived from `settings.secret_key`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import bindparam, select, update

from support_desk.core.actors import Actor
from support_desk.core.audit import AUDIT_INSERT, audit_values
from support_desk.core.errors import NotFound
from support_desk.core.records import from_row
from support_desk.core.settings import Settings
from support_desk.core.tx import UnitOfWork
from web.platform.models import ApiKeyRow

BEARER = "bearer"
SIGNING = "signing"


@dataclass(frozen=True, slots=True)
class CreateApiKey:
    name: str
    actor: Actor
    signing: bool = False
    admin: bool = False


@dataclass(frozen=True, slots=True)
class RevokeApiKey:
    id: int
    actor: Actor


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown about a key: never its token, hash or secret."""

    id: int
    name: str
    kind: str
    admin: bool
    merchant_id: str | None
    key_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyNotFound(NotFound, code="api_key_not_found"):
    message = "There is no API key {id}."


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """Shown once: the plain key or secret is never stored and cannot be shown again."""

    id: int
    name: str
    key: str | None = None
    merchant_id: str | None = None
    key_id: str | None = None
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """The authenticated caller: its id namespaces idempotency keys, its name the audit."""

    id: int
    name: str
    kind: str
    admin: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fernet(settings: Settings) -> Fernet:
    """The cipher for signing secrets; HKDF separates it from other uses of the secret key."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"support-desk:api-signing"
    ).derive(settings.secret_key.get_secret_value().encode())
    return Fernet(base64.urlsafe_b64encode(derived))


async def create_api_key(uow: UnitOfWork, cmd: CreateApiKey) -> NewApiKey:
    """A new bearer key, or with `signing` a merchant id, key id and base64 shared secret."""
    row = ApiKeyRow(name=cmd.name, created_at=uow.now, admin=cmd.admin)
    key = secret = None
    if cmd.signing:
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        row.kind, row.merchant_id, row.key_id = SIGNING, cmd.name, str(uuid.uuid4())
        row.secret_encrypted = fernet(uow.settings).encrypt(secret.encode()).decode()
    else:
        key = "sdk_" + secrets.token_urlsafe(32)
        row.kind, row.token_hash = BEARER, token_hash(key)
    uow.session.add(row)
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "api_key.created",
        subject=("api_key", row.id),
        after={"name": row.name, "kind": row.kind, "key_id": row.key_id, "admin": row.admin},
    )
    return NewApiKey(row.id, row.name, key, row.merchant_id, row.key_id, secret)


_BEARER_KEY = select(ApiKeyRow.id, ApiKeyRow.name, ApiKeyRow.kind, ApiKeyRow.admin).where(
    ApiKeyRow.token_hash == bindparam("token_hash"),
    ApiKeyRow.kind == BEARER,
    ApiKeyRow.revoked_at.is_(None),
)


async def bearer_key(uow: UnitOfWork, token: str) -> ApiKey | None:
    """The live key whose hash matches, or None (the lookup is by hash, so no timing oracle).
    Four columns, not the row: every API call pays for this read."""
    found = (await uow.session.execute(_BEARER_KEY, {"token_hash": token_hash(token)})).first()
    return None if found is None else ApiKey(*found)


async def signing_key(
    uow: UnitOfWork, merchant_id: str, key_id: str
) -> tuple[ApiKey, bytes] | None:
    """The live signing key and its decoded shared secret, or None."""
    row = (
        await uow.session.execute(
            select(ApiKeyRow).where(
                ApiKeyRow.key_id == key_id,
                ApiKeyRow.kind == SIGNING,
                ApiKeyRow.revoked_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if row is None or row.merchant_id != merchant_id or row.secret_encrypted is None:
        return None
    try:
        secret = fernet(uow.settings).decrypt(row.secret_encrypted.encode())
    except InvalidToken:
        return None
    return ApiKey(row.id, row.name, row.kind, row.admin), base64.b64decode(secret)


async def record_call(uow: UnitOfWork, key: ApiKey, method: str, path: str, status: int) -> None:
    """Every authenticated call leaves an audit row naming the key (T6). One Core INSERT, not
    an ORM object: a read writes nothing else, and the unit-of-work flush cost more than the
    read itself. What the work left pending is flushed first, so the rows keep their order."""
    await uow.session.flush()
    after = {"method": method, "path": path[:500], "status": status}
    values = audit_values(
        uow.now, Actor.api(key.name), "api.call", subject=("api_key", key.id), after=after
    )
    await uow.session.execute(AUDIT_INSERT, values)


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    return from_row(ApiKeyInfo, row)


async def list_api_keys(uow: UnitOfWork) -> list[ApiKeyInfo]:
    """Every key, live and revoked, oldest first."""
    rows = await uow.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
    return [_info(row) for row in rows]


async def revoke_api_key(uow: UnitOfWork, cmd: RevokeApiKey) -> ApiKeyInfo:
    """Revoke a key for good. Every process looks keys up in the database on every request,
    so the next request with it, anywhere, is a 401. Revoking a revoked key changes nothing."""
    revoked = await uow.session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.id == cmd.id, ApiKeyRow.revoked_at.is_(None))
        .values(revoked_at=uow.now)
        .execution_options(synchronize_session=False)
    )
    row = await uow.session.get(ApiKeyRow, cmd.id, populate_existing=True)
    if row is None:
        raise ApiKeyNotFound(id=cmd.id)
    if revoked.rowcount:  # type: ignore[attr-defined]
        uow.audit(
            cmd.actor, "api_key.revoked", subject=("api_key", row.id), after={"name": row.name}
        )
    return _info(row)
