"""Billing rules (B1–B13): pure decisions, no I/O."""
