"""``flask legistar import`` and ``flask legistar sync``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from hearings.extensions import db
from hearings.legistar.client import DEFAULT_BASE_URL, LegistarUnavailable
from hearings.legistar.importer import import_directory, sync

legistar_cli = AppGroup("legistar", help="Import events, matters, people and votes from Legistar.")


@legistar_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(directory: Path) -> None:
    """Import Legistar Web API responses saved as JSON files in DIRECTORY.

    Each file holds one record or a list of records as the API returns them: events,
    event items, votes, persons, matters or bodies, told apart by their id keys (EventId,
    EventItemId, VoteId, PersonId, MatterId, BodyId), whatever the file is called. Votes
    name their event item (VoteEventItemId); in dumps where they do not, name the votes file
    "..._event_<n>_item_<m>_votes.json" for item m (from 0) of "..._event_<n>_items.json".
    Importing again updates what changed and never duplicates. Bad records are reported
    and skipped; the rest are imported.
    """
    report = import_directory(db.session, directory)
    for line in report.lines():
        click.echo(line)
    # What was valid is imported; a script running the import still learns that some was not.
    if report.problems:
        sys.exit(1)


@legistar_cli.command("sync")
@click.option("--client", required=True, help="Legistar client name, e.g. seattle.")
@click.option(
    "--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Legistar Web API address."
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only meetings on or after this date, YYYY-MM-DD.",
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
def sync_command(client: str, base_url: str, since: datetime | None, timeout: float) -> None:
    """Fetch meetings, agenda items, votes, voters and matters from the Legistar Web API."""
    try:
        report = sync(
            db.session, client, base_url, since.date() if since else None, timeout=timeout
        )
    except (LegistarUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from None
    for line in report.lines():
        click.echo(line)
    if report.problems:
        sys.exit(1)
