"""Votes: placeholder blueprint, filled in by its feature."""

from flask import Blueprint

bp = Blueprint("votes", __name__)
