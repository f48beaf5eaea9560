"""The kit's fake provider: a real local HTTP server that records requests
and answers as scripted."""

import json
import urllib.error
import urllib.request

import pytest


def call(url, method="POST", body=b"{}", headers=None, timeout=5):
    """``(status, headers, parsed JSON body)`` of one request."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_it_records_requests_and_answers_with_fresh_ids(fake_provider):
    first = call(f"{fake_provider.url}/v1/messages", body=b'{"text": "hi"}', headers={"X-Sig": "abc"})
    second = call(f"{fake_provider.url}/v1/other", method="PUT", body=b"raw")
    assert (first[0], first[2]) == (200, {"id": "fake-1"})
    assert second[2] == {"id": "fake-2"}
    one, two = fake_provider.requests
    assert (one.method, one.path, one.json, one.header("x-sig")) == ("POST", "/v1/messages", {"text": "hi"}, "abc")
    assert (two.method, two.body, two.json) == ("PUT", b"raw", None)


def test_scripted_answers_come_first_then_the_default(fake_provider):
    fake_provider.fail(503, times=2)
    fake_provider.respond(201, json={"id": "custom"}, headers={"X-Extra": "1"})
    answers = [call(fake_provider.url) for _ in range(4)]
    assert [status for status, _, _ in answers] == [503, 503, 201, 200]
    assert answers[2][1]["X-Extra"] == "1" and answers[2][2] == {"id": "custom"}
    fake_provider.respond(404, json={"error": "gone"}, times=None)
    assert [call(fake_provider.url, method="GET", body=None)[0] for _ in range(2)] == [404, 404]


def test_a_provider_shape_answers_each_request_after_the_script(fake_provider):
    from app.testing.provider import Answer

    def shaped(request):
        if request.header("Authorization") != "Basic ok":
            return Answer(401, json={"message": "Authenticate"})
        return Answer(201, json={"sid": f"SM{len(fake_provider.requests)}", "to": request.form.get("To")})

    fake_provider.answer_with(shaped)
    fake_provider.fail(503)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic ok"}
    answers = [call(fake_provider.url, body=b"To=%2B15551230001&Body=hi", headers=form) for _ in range(3)]
    assert [(status, body) for status, _, body in answers] == [
        (503, {"error": "unavailable"}),
        (201, {"sid": "SM2", "to": "+15551230001"}),
        (201, {"sid": "SM3", "to": "+15551230001"}),
    ]
    assert fake_provider.requests[0].form == {"To": "+15551230001", "Body": "hi"}
    assert call(fake_provider.url, body=b"To=x")[0] == 401
    assert fake_provider.requests[-1].json is None and call(fake_provider.url, body=b'{"a": 1}')[0] == 401
    assert fake_provider.requests[-1].form == {}


def test_a_hanging_answer_makes_the_client_time_out(fake_provider):
    fake_provider.hang(30)
    with pytest.raises(TimeoutError):
        call(fake_provider.url, timeout=0.2)
    assert len(fake_provider.requests) == 1  # it arrived; the answer did not
    assert call(fake_provider.url)[0] == 200
