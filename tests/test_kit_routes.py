"""The kit's ``register_plugin`` mounts a test plugin's routes."""

import pytest
from flask import Blueprint

from app.plugin import hookimpl


def _plugin(name):
    bp = Blueprint(name, __name__, url_prefix=f"/{name}")

    @bp.get("/ping")
    def ping():
        return {"pong": name}

    class RoutesPlugin:
        @hookimpl
        def helpline_register_blueprints(self):
            return [bp]

    return RoutesPlugin()


def test_routes_of_a_registered_plugin_answer_and_follow_its_state(app, client, register_plugin):
    register_plugin(_plugin("kit-routes"), "kit-routes")
    assert client.get("/kit-routes/ping").get_json() == {"pong": "kit-routes"}
    app.extensions["helpline.plugins"].set_enabled("kit-routes", False)
    assert client.get("/kit-routes/ping").status_code == 404


def test_routes_cannot_be_added_after_the_first_request(client, register_plugin):
    client.get("/login")
    with pytest.raises(AssertionError, match="before the test's first request"):
        register_plugin(_plugin("too-late"), "too-late")
