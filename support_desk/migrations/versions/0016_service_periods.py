"""billing: service periods (period_end), terminations scheduled for the period's end (B5),
and the payment a refund was asked against (B6)

Revision ID: 0016_service_periods
Revises: 0015_credit_note_files
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from support_desk.core.db import UTCDateTime

revision = "0016_service_periods"
down_revision = "0015_credit_note_files"
branch_labels = None
depends_on = None

SCHEDULED_LIVE = "terminates_on IS NULL OR status <> 'terminated'"
SCHEDULE_WHOLE = (
    "(terminates_on IS NULL) = (termination_requested_by IS NULL)"
    " AND (terminates_on IS NULL) = (termination_scheduled_at IS NULL)"
)


def _month_end(moment: datetime | date | str) -> date:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return date(moment.year, moment.month, calendar.monthrange(moment.year, moment.month)[1])


def _backfill() -> None:
    """Each live service's period ends with the month of its latest issued invoice (or of its
    creation): the period billing would have set had it kept periods then."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.id, s.created_at, MAX(i.issued_at) FROM services s"
            " LEFT JOIN invoice_lines l ON l.service_id = s.id"
            " LEFT JOIN invoices i ON i.id = l.invoice_id AND i.issued_at IS NOT NULL"
            " WHERE s.status <> 'terminated' GROUP BY s.id, s.created_at"
        )
    ).all()
    for service_id, created_at, issued_at in rows:
        bind.execute(
            sa.text("UPDATE services SET period_end = :end WHERE id = :id"),
            {"end": _month_end(issued_at or created_at), "id": service_id},
        )


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("terminates_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("termination_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("termination_requested_by", sa.String(length=160), nullable=True)
        )
        batch_op.add_column(sa.Column("termination_scheduled_at", UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_services_scheduled_live"), SCHEDULED_LIVE)
        batch_op.create_check_constraint(op.f("ck_services_schedule_whole"), SCHEDULE_WHOLE)
        batch_op.create_index(
            "ix_services_terminates_on",
            ["terminates_on"],
            sqlite_where=sa.text("terminates_on IS NOT NULL"),
            postgresql_where=sa.text("terminates_on IS NOT NULL"),
        )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_payment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_credit_notes_refund_payment_id_payments"),
            "payments",
            ["refund_payment_id"],
            ["id"],
        )
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_credit_notes_refund_payment_id_payments"), type_="foreignkey"
        )
        batch_op.drop_column("refund_payment_id")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index("ix_services_terminates_on")
        batch_op.drop_constraint(op.f("ck_services_schedule_whole"), type_="check")
        batch_op.drop_constraint(op.f("ck_services_scheduled_live"), type_="check")
        for column in (
            "termination_scheduled_at",
            "termination_requested_by",
            "termination_reason",
            "terminates_on",
            "period_end",
        ):
            batch_op.drop_column(column)
