"""Saved replies: admins add, change and delete them; agents list them and insert them in the
customer's language, with variables filled."""

from __future__ import annotations

import pytest

from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import make_admin, make_agent
from ticketing.admin_errors import InvalidShortcode, SavedReplyNotFound, ShortcodeTaken
from ticketing.errors import AdminOnly, EmptyMessage
from ticketing.saved_replies import (
    DeleteSavedReply,
    SaveReply,
    delete_saved_reply,
    fill,
    save_reply,
    saved_replies,
)


async def test_an_admin_adds_changes_and_deletes_and_agents_list_them(tx: Transactor) -> None:
    admin, agent = await make_admin(tx), await make_agent(tx)

    made = await tx.run(
        save_reply, SaveReply("/Thanks", "Thank you", "Thanks, {customer_name}!", "", admin)
    )
    await tx.run(save_reply, SaveReply("refund-eta", "Refund", "5 days", "5 дней", admin))
    changed = await tx.run(
        save_reply,
        SaveReply("thanks", "Thanks", "Thanks, {customer_name}!", "Спасибо!", admin, made.id),
    )

    listed = await tx.read(saved_replies, agent)
    assert [r.shortcode for r in listed] == ["refund-eta", "thanks"]
    assert made.ru_missing and not changed.ru_missing
    assert changed.text_in("ru") == "Спасибо!" and made.text_in("ru") == made.body_en
    await tx.run(delete_saved_reply, DeleteSavedReply(made.id, admin, "del-1"))
    again = await tx.run(delete_saved_reply, DeleteSavedReply(made.id, admin, "del-1"))
    assert again.shortcode == "thanks"
    assert [r.shortcode for r in await tx.read(saved_replies, agent)] == ["refund-eta"]
    with pytest.raises(SavedReplyNotFound):
        await tx.run(delete_saved_reply, DeleteSavedReply(made.id, admin))


async def test_shortcodes_are_unique_and_well_formed_and_agents_cannot_edit(
    tx: Transactor,
) -> None:
    admin, agent = await make_admin(tx), await make_agent(tx)
    await tx.run(save_reply, SaveReply("hi", "Hello", "Hello", "", admin))

    with pytest.raises(ShortcodeTaken):
        await tx.run(save_reply, SaveReply("HI", "Hello again", "Hello", "", admin))
    for bad in ("h", "with space", "x" * 33, "<b>"):
        with pytest.raises(InvalidShortcode):
            await tx.run(save_reply, SaveReply(bad, "T", "Body", "", admin))
    with pytest.raises(EmptyMessage):
        await tx.run(save_reply, SaveReply("ok", "T", "  ", "", admin))
    with pytest.raises(AdminOnly):
        await tx.run(save_reply, SaveReply("ag", "T", "Body", "", agent))
    assert [r.title for r in await tx.read(saved_replies, agent)] == ["Hello"]


def test_variables_are_filled_and_unknown_ones_kept() -> None:
    text = "Dear {customer_name}, ticket #{ticket_id} {unknown} {Name}"

    filled = fill(text, {"customer_name": "Ann", "ticket_id": "7"})

    assert filled == "Dear Ann, ticket #7 {unknown} {Name}"
