"""The plugin's blueprint: its stylesheet, its templates and the template
filter the panel uses. It has no pages of its own."""

from flask import Blueprint

from .panel import parse_time

bp = Blueprint(
    "predictive",
    __name__,
    url_prefix="/predictive",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
bp.add_app_template_filter(parse_time, "predictive_time")
