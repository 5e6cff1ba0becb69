"""Blueprints; each module is one part of the site."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from hearings.views import (
        agenda,
        alerts,
        api,
        auth,
        bodies,
        corrections,
        documents,
        glossary,
        hearings,
        matters,
        organizations,
        people,
        search,
        signups,
        speakers,
        testimony,
        votes,
    )

    pages = (auth, hearings, search, speakers, people, matters, testimony, agenda, organizations)
    for module in (*pages, bodies, votes, corrections, glossary, signups, documents, api, alerts):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", endpoint="index", view_func=hearings.index)
