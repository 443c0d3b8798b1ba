"""Builders the migrations share for the columns and constraints they spell again and again.

Each builder writes what Alembic's autogenerate wrote by hand before: the same types, the same
nullability and the constraint names of `support_desk.core.db.NAMING`, given as final names
(`op.f`). Past migrations call them, so a builder never changes what it builds: a different
column or name is a new builder. Call them inside `upgrade()` (they use `op`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from support_desk.core.db import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = UTCDateTime


def integer_id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), nullable=False)


def minor_units(*names: str) -> list[sa.Column[Any]]:
    """Required amounts in integer minor units, one BIGINT NOT NULL column a name."""
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def moments(*names: str, nullable: bool) -> list[sa.Column[Any]]:
    """Timezone-aware UTC timestamps."""
    return [sa.Column(name, UTC(timezone=True), nullable=nullable) for name in names]


def checks(table: str, **conditions: str) -> list[sa.CheckConstraint]:
    """CHECK constraints `ck_<table>_<keyword>`, in the order given."""
    return [
        sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))
        for name, condition in conditions.items()
    ]


def foreign_keys(table: str, **targets: str) -> list[sa.ForeignKeyConstraint]:
    """`column=target_table`: the column references `target_table.id`, named
    `fk_<table>_<column>_<target_table>`."""
    return [
        sa.ForeignKeyConstraint(
            [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
        )
        for column, target in targets.items()
    ]


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def partial_unique_index(table: str, name: str, columns: list[str], where: str) -> None:
    """A unique index over the rows `where` holds, on SQLite and PostgreSQL alike."""
    op.create_index(
        name,
        table,
        columns,
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )
