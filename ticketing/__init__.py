"""Tickets, the agent queue, SLA, claims and resolutions; calls billing for money."""
