"""The widget's script and a demo storefront under /webchat. (What agents
see about a chat's visitor is the channel's card, ``WebchatChannel.card``.)
The widget's JSON API is
:mod:`plugins.webchat.api`, its live stream :mod:`plugins.webchat.stream`."""

import os

from flask import Blueprint, render_template, send_from_directory

from . import conversations as convs

bp = Blueprint("webchat", __name__, url_prefix="/webchat", template_folder="templates")

STATIC = os.path.join(os.path.dirname(__file__), "static")


@bp.get("/widget.js")
def widget_js():
    """The embeddable widget (``<script src=".../webchat/widget.js" data-key="...">``)."""
    response = send_from_directory(STATIC, "widget.js", mimetype="text/javascript", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/demo")
def demo():
    """A demo storefront page embedding the widget with the first site key."""
    return render_template("webchat/demo.html", key=convs.ensure_site_key())
