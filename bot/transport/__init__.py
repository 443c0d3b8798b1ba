"""How updates arrive (webhook or polling, through the inbox) and how messages leave (outbox)."""
