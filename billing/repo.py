"""Queries the billing services need; no commits, no business decisions."""
