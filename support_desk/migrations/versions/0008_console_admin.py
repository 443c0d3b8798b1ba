"""console (admins): ticket_credit_notes, saved_replies, audit_log search indexes"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import support_desk.core.db

revision = "0008_console_admin"
down_revision = "0006_billing_phone_digits"
depends_on = ("0003_ticketing",)


def upgrade() -> None:
    op.create_table(
        "ticket_credit_notes",
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", support_desk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_ticket_credit_notes_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_ticket_credit_notes_credit_note_id_credit_notes"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_credit_notes_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("credit_note_id", name=op.f("pk_ticket_credit_notes")),
    )
    op.create_index(
        op.f("ix_ticket_credit_notes_ticket_id"), "ticket_credit_notes", ["ticket_id"]
    )
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortcode", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("body_ru", sa.Text(), nullable=True),
        sa.Column("created_at", support_desk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", support_desk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(shortcode) >= 2", name=op.f("ck_saved_replies_shortcode")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
        sa.UniqueConstraint("shortcode", name=op.f("uq_saved_replies_shortcode")),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_kind", "actor_id", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    # Tickets resolved before this revision: their current credit note, and who held them.
    op.execute(
        "INSERT INTO ticket_credit_notes (credit_note_id, ticket_id, agent_id, created_at)"
        " SELECT credit_note_id, id, assignee_id, updated_at FROM tickets"
        " WHERE credit_note_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_table("saved_replies")
    op.drop_index(op.f("ix_ticket_credit_notes_ticket_id"), table_name="ticket_credit_notes")
    op.drop_table("ticket_credit_notes")
