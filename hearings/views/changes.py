"""The one way a view changes the record: run the change, commit it, or show why it was refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import abort, make_response
from flask.typing import ResponseReturnValue

from hearings.errors import Refused
from hearings.extensions import db


@contextmanager
def change_to_the_record(
    refused: Callable[[Refused], ResponseReturnValue],
) -> Iterator[None]:
    """Commit what the block changes; on a refusal roll it all back and answer ``refused``.

    The view owns the transaction: services only flush. ``refused`` gets the error and returns
    the page (or fragment) to show with it, normally ``render_template(...), problem.status``.
    """
    try:
        yield
    except Refused as problem:
        db.session.rollback()
        # abort() with a response ends the request with exactly that response.
        abort(make_response(refused(problem)))
    db.session.commit()
