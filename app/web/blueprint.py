"""The ``web`` blueprint shared by every UI view module."""

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static/web", static_url_path="/static/web")
