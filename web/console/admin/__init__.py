"""The admins' console pages. Every module here exposes `ROUTES: list[ConsoleRoute]` (see
web/console/routes.py), collected into the one route table; nothing else registers routes."""
