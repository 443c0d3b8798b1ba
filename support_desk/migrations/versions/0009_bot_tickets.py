"""ticketing: tickets.details, what the customer chose when asking in the bot (T1)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.migrations.schema import JSON

revision = "0009_bot_tickets"
down_revision = "0006_billing_phone_digits"
depends_on = "0003_ticketing"


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("details")
