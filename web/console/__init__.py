"""The agents' and admins' web console."""
