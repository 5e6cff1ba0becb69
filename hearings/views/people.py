"""People: placeholder blueprint, filled in by its feature."""

from flask import Blueprint

bp = Blueprint("people", __name__)
