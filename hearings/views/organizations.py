"""Organizations: placeholder blueprint, filled in by its feature."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)
