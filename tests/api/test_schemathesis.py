"""Property-based run over the OpenAPI document (schemathesis, in-process
through the Flask app): no answer is a 5xx, and every answer matches the
schema and status codes the document declares."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from app.auth import create_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app, fake_channel):
    # Something to find: a ticket with messages, tags, a saved view.
    from app.services.tickets import change_tags
    from app.services.views import create_view
    from app.testing.factories import agent
    ticket = fake_channel.receive("Hello there", email="fuzz@example.net").ticket
    change_tags(ticket, add=["fuzz"])
    owner = agent(role="owner", password=None)
    create_view(owner, "Fuzz", {"tag": "fuzz"})
    app.config["_FUZZ_TOKEN"] = create_token(owner, "fuzz")[1]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_answers_follow_the_document(case, app):
    headers = {"Authorization": f"Bearer {app.config['_FUZZ_TOKEN']}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
