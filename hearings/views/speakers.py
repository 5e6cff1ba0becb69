"""Speakers: placeholder blueprint, filled in by its feature."""

from flask import Blueprint

bp = Blueprint("speakers", __name__)
