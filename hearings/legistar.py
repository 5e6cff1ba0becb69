"""Import from the Legistar Web API (placeholder until the importer lands)."""

from flask.cli import AppGroup

legistar_cli = AppGroup("legistar", help="Import events, matters, people and votes from Legistar.")
