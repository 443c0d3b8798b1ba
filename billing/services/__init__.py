"""Billing use cases: one function per use case; the only code that writes money."""
