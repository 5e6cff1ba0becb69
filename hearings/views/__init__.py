"""Blueprints; each module is one part of the site."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from hearings.views import auth, hearings, search

    app.register_blueprint(auth.bp)
    app.register_blueprint(hearings.bp)
    app.register_blueprint(search.bp)
    app.add_url_rule("/", endpoint="index", view_func=hearings.index)
