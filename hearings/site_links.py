"""Links to the site made outside a request: by the worker (alert e-mails, the bulk export)
and by commands. They are absolute and name the site at PUBLIC_BASE_URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, url_for


@contextmanager
def site_links() -> Iterator[Callable[..., str]]:
    """Yield a function that makes absolute links, as url_for(endpoint, **values) does."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        yield lambda endpoint, **values: url_for(endpoint, _external=True, **values)
