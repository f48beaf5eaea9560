"""Shared helpers for the rule plugin tests."""

import threading

import pytest

from app.db import db


@pytest.fixture
def plugins(app):
    return app.extensions["helpline.plugins"]


@pytest.fixture
def run_in_threads(app):
    """``run_in_threads(fn, n)``: start ``fn(i)`` in ``n`` threads at once,
    each with its own app context and database connection; returns their
    results (re-raising the first exception)."""

    def run(fn, n):
        barrier = threading.Barrier(n)
        results, errors = [None] * n, []

        def worker(i):
            try:
                with app.app_context():
                    db.connect(reuse_if_open=True)
                    try:
                        barrier.wait(timeout=30)
                        results[i] = fn(i)
                    finally:
                        db.close()
            except BaseException as exc:  # reported to the test below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a worker thread hung"
        if errors:
            raise errors[0]
        return results

    return run


@pytest.fixture
def api_as(app, make_agent):
    """``api_as(role)`` -> ``(agent, headers)``: an agent of that role with a
    fresh Bearer token (no password: argon2 is slow, tokens need none)."""
    from app.auth import create_token

    def make(role="support", **kwargs):
        agent = make_agent(role=role, password=None, **kwargs)
        _, token = create_token(agent, "test")
        return agent, {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def rules_screenshot(tmp_path):
    """``rules_screenshot(page, "name")``: with ``UI_SCREENSHOTS=1`` it writes
    docs/img/name.png for docs/rules.md; otherwise into the test's temporary
    folder, so an ordinary run leaves the worktree clean."""
    import os

    folder = (
        os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")
        if os.environ.get("UI_SCREENSHOTS") == "1"
        else str(tmp_path)
    )

    def shoot(page, name):
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    return shoot
