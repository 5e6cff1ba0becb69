"""Bodies: placeholder blueprint, filled in by its feature."""

from flask import Blueprint

bp = Blueprint("bodies", __name__)
