"""One suite-wide factor scales every wait of the browser tests."""

from app.testing import browser


def test_the_environment_sets_the_factor(monkeypatch):
    monkeypatch.setenv("HELPLINE_TEST_TIMEOUT_FACTOR", "3")
    assert browser.timeout_factor.__wrapped__() == 3.0


def test_without_it_the_factor_follows_the_load(monkeypatch):
    monkeypatch.delenv("HELPLINE_TEST_TIMEOUT_FACTOR", raising=False)
    monkeypatch.setattr(browser.os, "getloadavg", lambda: (22.0, 0.0, 0.0))
    monkeypatch.setattr(browser.os, "cpu_count", lambda: 2)
    assert browser.timeout_factor.__wrapped__() == 10.0  # capped
    monkeypatch.setattr(browser.os, "getloadavg", lambda: (0.5, 0.0, 0.0))
    assert browser.timeout_factor.__wrapped__() == 1.0  # never below the base


def test_the_fixture_scales_by_the_same_factor(test_timeout):
    assert test_timeout(browser.BASE_TIMEOUT) == browser.BASE_TIMEOUT * browser.timeout_factor()
