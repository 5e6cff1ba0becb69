"""Matters: placeholder blueprint, filled in by its feature."""

from flask import Blueprint

bp = Blueprint("matters", __name__)
