"""The Telegram face: routers, transport (webhook inbox, outbox delivery), Bot API emulator."""
