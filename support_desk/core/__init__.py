"""The shared kernel every layer may import: settings, database, unit of work, audit, outbox."""
