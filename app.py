"""Entry point for `flask --app app ...` and WSGI servers."""

from hearings import create_app

app = create_app()
