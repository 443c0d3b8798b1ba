"""Saved replies: texts admins keep and agents insert into a reply or a note, by shortcode, in
the customer's language. A reply without its Russian text says so (`ru_missing`), so the
composer can warn rather than silently send English. Variables such as {customer_name} are
filled when inserted; an unknown one stays as written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.admin_errors import InvalidShortcode, SavedReplyNotFound, ShortcodeTaken
from ticketing.admin_models import SavedReply
from ticketing.services._common import staff_user

SHORTCODE = re.compile(r"[a-z0-9_-]{2,32}")
VARIABLE = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True)
class SaveReply:
    """Create a saved reply (`reply_id` None) or change one."""

    shortcode: str
    title: str
    body_en: str
    body_ru: str
    actor: Actor
    reply_id: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteSavedReply:
    reply_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SavedReplyView:
    id: int
    shortcode: str
    title: str
    body_en: str
    body_ru: str | None

    @property
    def ru_missing(self) -> bool:
        return not self.body_ru

    def text_in(self, language: str) -> str:
        """The text in the customer's language; English when that is all there is."""
        return self.body_ru if language == "ru" and self.body_ru else self.body_en

    @classmethod
    def of(cls, row: SavedReply) -> SavedReplyView:
        return cls(row.id, row.shortcode, row.title, row.body_en, row.body_ru)


def fill(text: str, variables: Mapping[str, str]) -> str:
    """{name} placeholders replaced by their values; unknown ones kept as they are."""
    return VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def ensure_shortcode(shortcode: str) -> str:
    code = shortcode.strip().lstrip("/").lower()
    if not SHORTCODE.fullmatch(code):
        raise InvalidShortcode()
    return code


async def _row(uow: UnitOfWork, reply_id: int) -> SavedReply:
    row = await uow.session.get(SavedReply, reply_id, populate_existing=True)
    if row is None:
        raise SavedReplyNotFound(reply_id=reply_id)
    return row


async def save_reply(uow: UnitOfWork, cmd: SaveReply) -> SavedReplyView:
    """Roles: an admin adds or edits a saved reply. Refusals: AdminOnly, InvalidShortcode,
    ShortcodeTaken, EmptyMessage, SavedReplyNotFound."""
    if (earlier := await uow.idempotency.replay(cmd, SavedReplyView)) is not None:
        return earlier
    rules.ensure_admin(cmd.actor)
    await staff_user(uow, cmd.actor)
    code = ensure_shortcode(cmd.shortcode)
    values = {
        "shortcode": code,
        "title": rules.ensure_text(cmd.title),
        "body_en": rules.ensure_text(cmd.body_en),
        "body_ru": cmd.body_ru.strip() or None,
        "updated_at": uow.now,
    }
    row = SavedReply(created_at=uow.now) if cmd.reply_id is None else await _row(uow, cmd.reply_id)
    before = None if cmd.reply_id is None else {"shortcode": row.shortcode, "title": row.title}
    for name, value in values.items():
        setattr(row, name, value)
    await repo.save_unique(uow.session, row, ShortcodeTaken(shortcode=code))
    action = "saved_reply.created" if before is None else "saved_reply.changed"
    after = {"shortcode": code, "title": row.title}
    uow.audit(cmd.actor, action, subject=("saved_reply", row.id), before=before, after=after)
    return await uow.idempotency.remember(cmd, SavedReplyView.of(row))


async def delete_saved_reply(uow: UnitOfWork, cmd: DeleteSavedReply) -> SavedReplyView:
    """Roles: an admin deletes a saved reply. Refusals: AdminOnly, SavedReplyNotFound."""
    if (earlier := await uow.idempotency.replay(cmd, SavedReplyView)) is not None:
        return earlier
    rules.ensure_admin(cmd.actor)
    await staff_user(uow, cmd.actor)
    row = await _row(uow, cmd.reply_id)
    gone = SavedReplyView.of(row)
    await uow.session.delete(row)
    before = {"shortcode": gone.shortcode, "title": gone.title, "body_en": gone.body_en}
    uow.audit(cmd.actor, "saved_reply.deleted", subject=("saved_reply", gone.id), before=before)
    return await uow.idempotency.remember(cmd, gone)


async def saved_replies(uow: UnitOfWork, actor: Actor) -> tuple[SavedReplyView, ...]:
    """Every saved reply by shortcode, for the composer and the admins' page.
    Refusals: StaffOnly."""
    rules.ensure_staff(actor)
    rows = await uow.session.scalars(select(SavedReply).order_by(SavedReply.shortcode))
    return tuple(SavedReplyView.of(r) for r in rows)
