"""api: api_keys.admin, for keys that may list and revoke keys through the API"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_api"
down_revision = "0006_billing_phone_digits"
depends_on = "0004_api"  # the table it alters


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("admin")
