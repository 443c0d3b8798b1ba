"""Settings from `SUPPORT_DESK_*` environment variables; passed in, never read at import time."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SellerSettings(BaseModel):
    """Who issues the documents (printed on every credit note)."""

    name: str = "Support Desk Hosting Ltd"
    address: str = "1 Example Street, Example City"
    tax_id: str = "EX-000000"


class BillingSettings(BaseModel):
    """Money rules with operator-chosen numbers (docs/rules.md marks them *setting*)."""

    undo_window_minutes: int = 20  # B4
    approval_threshold_minor: int = 10_000  # B11: 100.00 in the invoice's currency
    apply_account_credit_on_issue: bool = True  # B6: account credit pays new invoices
    currencies: tuple[str, ...] = ("EUR", "USD", "GBP", "CHF", "PLN", "RUB")
    seller: SellerSettings = SellerSettings()


class TicketingSettings(BaseModel):
    """Service levels per ticket kind (T2), in working hours."""

    first_response_hours_refund: int = 4
    first_response_hours_default: int = 8
    resolution_hours_refund: int = 24
    resolution_hours_default: int = 40
    working_day_start_hour: int = 9  # the SLA clock runs in working hours only
    working_day_end_hour: int = 17
    working_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    timezone: str = "UTC"  # the support team's calendar


class BotSettings(BaseModel):
    """Telegram transport: webhook path, sending limits (TG11), delivery and inbox retries."""

    username: str = "support_desk_bot"
    webhook_path: str = "/telegram/webhook"
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30
    delivery_batch: int = 50
    delivery_max_attempts: int = 8
    inbox_max_attempts: int = 5
    lease_seconds: float = 120.0


class ConsoleSettings(BaseModel):
    """The web console's sessions and login throttle (RELIABILITY W1-W6)."""

    session_idle_minutes: int = 30  # a session unused this long ends
    session_absolute_hours: int = 12  # and any session ends this long after login
    login_failures_per_account: int = 5  # failures within the window before a login is held
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    secure_cookies: bool = False  # force Secure + __Host- (behind a TLS-terminating proxy)


DEFAULT_SECRET_KEY = "change-me-in-production-please-32b"


class Settings(BaseSettings):
    """Everything an operator can change; one instance is built by the wiring."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPORT_DESK_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///support_desk.db"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    demo_chat_port: int = 8081  # the offline demo's web chat (the emulator); 0 picks a free one
    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    redis_url: str | None = None
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    default_locale: str = "en"
    idempotency_retention_hours: int = 72  # B13: replays answered for three days
    billing: BillingSettings = BillingSettings()
    ticketing: TicketingSettings = TicketingSettings()
    bot: BotSettings = BotSettings()
    console: ConsoleSettings = ConsoleSettings()

    def production_problems(self) -> list[str]:
        """What must be set before serving real customers (a bot token means real Telegram)."""
        if self.bot_token is None:
            return []  # the offline demo
        if self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            return ["SUPPORT_DESK_SECRET_KEY is the built-in default: set a long random one"]
        return []
