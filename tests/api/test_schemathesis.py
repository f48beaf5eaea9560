"""Property-based run over the OpenAPI document (schemathesis, in-process
through the Flask app): no answer is a 5xx, and every answer matches the
schema and status codes the document declares."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth import create_token

FULL = os.environ.get("HELPLINE_API_FUZZ") == "full"
# scripts/schemathesis-deep.sh raises this for its long runs.
EXAMPLES = int(os.environ.get("HELPLINE_API_FUZZ_EXAMPLES") or (50 if FULL else 12))
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
    # The coverage phase adds dozens of boundary cases per operation (about
    # 1500 calls in all): run it with HELPLINE_API_FUZZ=full; the suite's
    # default keeps to the example and fuzzing phases, within its time budget.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": FULL}}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_answers_follow_the_document(case, app):
    headers = {"Authorization": f"Bearer {app.config['_FUZZ_TOKEN']}"}
    CALLS.append(case.operation.label)
    case.call_and_validate(headers=headers, checks=CHECKS)


CALLS = []


def teardown_module():
    print(f"\nschemathesis: {len(CALLS)} calls over {len(set(CALLS))} operations")
