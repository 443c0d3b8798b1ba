"""Tables of the REST adapter: API keys (hashed or encrypted, never plain) and the few invoicing
fields the billing core has no column for (delivery mode, tax label, stated percentages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, JSONType, UTCDateTime


class ApiKeyRow(Base):
    """A bearer key (its sha256 only) or a signing key (its secret Fernet-encrypted)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    merchant_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # an admin key may also list and revoke keys through /api/v1/api-keys
    admin: Mapped[bool] = mapped_column(default=False, server_default=false())


class InvoiceExtrasRow(Base):
    """Presentation-only invoicing fields echoed back by the API; no money lives here."""

    __tablename__ = "api_invoice_extras"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
