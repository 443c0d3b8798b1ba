"""Tables of the web console: server-side sessions (every process of a scaled-out deployment
sees them) and the login throttle's failure counters (W1-W6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, UTCDateTime


class ConsoleSessionRow(Base):
    """One signed-in browser. Only the sha256 of the cookie's token is kept, so a stolen
    database copy signs nobody in; `session_version` must match the user's (deactivation and
    password resets bump it, ending every session at once)."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    session_version: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailureRow(Base):
    """Failed logins within the current window, per account name or per address."""

    __tablename__ = "console_login_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
