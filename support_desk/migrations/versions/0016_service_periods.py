"""billing: service periods (period_end), terminations scheduled for the period's end (B5),
and the payment a refund was asked against (B6)

Revision ID: 0016_service_periods
Revises: 0015_credit_note_files
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

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


def _period_end(start: datetime | date | str) -> date:
    """billing.periods.period_end_from, frozen here as migrations must be."""
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def _backfill() -> None:
    """Each live service's period is the month from its latest issued invoice (or from its
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
    as_text = bind.dialect.name == "sqlite"  # its driver's date adapter is deprecated
    for service_id, created_at, issued_at in rows:
        end = _period_end(issued_at or created_at)
        bind.execute(
            sa.text("UPDATE services SET period_end = :end WHERE id = :id"),
            {"end": end.isoformat() if as_text else end, "id": service_id},
        )


def _upgrade_sqlite() -> None:
    """SQLite adds the columns with their CHECKs and foreign key in place (ALTER TABLE ADD
    COLUMN takes column constraints): rebuilding `services` or `credit_notes` as a batch does
    would drop a table other rows refer to, which a database with data refuses."""
    add = "ALTER TABLE {} ADD COLUMN {}".format
    for statement in (
        add("services", "period_end DATE"),
        add("services", "termination_reason TEXT"),
        add("services", "termination_requested_by VARCHAR(160)"),
        add("services", "termination_scheduled_at DATETIME"),
        add(  # last: its CHECKs name the columns above
            "services",
            "terminates_on DATE CONSTRAINT ck_services_scheduled_live"
            f" CHECK ({SCHEDULED_LIVE}) CONSTRAINT ck_services_schedule_whole"
            f" CHECK ({SCHEDULE_WHOLE})",
        ),
        add(
            "credit_notes",
            "refund_payment_id INTEGER CONSTRAINT fk_credit_notes_refund_payment_id_payments"
            " REFERENCES payments (id)",
        ),
    ):
        op.execute(statement)
    op.create_index(
        "ix_services_terminates_on",
        "services",
        ["terminates_on"],
        sqlite_where=sa.text("terminates_on IS NOT NULL"),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
        _backfill()
        return
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
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        if not sqlite:  # SQLite's rebuild leaves the column's foreign key out with it
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
