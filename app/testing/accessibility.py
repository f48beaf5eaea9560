"""Accessibility checks for browser tests: axe-core (from the npm registry,
installed at test time by scripts/test.sh into a cache folder, never
committed) is injected into a Playwright page and run there.

``assert_accessible(page)`` fails the test on every serious or critical
violation, naming the rule, its help text and the offending elements.
``HELPLINE_AXE_JS`` points at ``axe.min.js``; by default the cache folder
scripts/test.sh fills (``.cache/npm/node_modules/axe-core/axe.min.js``).
"""

import os

BLOCKING = ("serious", "critical")
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
_DEFAULT = os.path.join(
    os.path.dirname(__file__), "..", "..", ".cache", "npm", "node_modules", "axe-core", "axe.min.js"
)


def axe_path():
    """The axe-core script to inject; a clear error says how to get it."""
    path = os.path.abspath(os.environ.get("HELPLINE_AXE_JS") or _DEFAULT)
    if not os.path.isfile(path):
        raise AssertionError(
            f"axe-core not found at {path}: run scripts/test.sh (it installs axe-core@4 from npm) "
            "or set HELPLINE_AXE_JS to an axe.min.js"
        )
    return path


def violations(page, impacts=BLOCKING):
    """axe violations of the given impacts on the page as shown now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol rather than a <script> tag:
        # the pages' Content-Security-Policy refuses inline script, and the
        # check must not weaken what it checks.
        with open(axe_path(), encoding="utf-8") as source:
            page.evaluate(source.read() + "\n;undefined")
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def assert_accessible(page, impacts=BLOCKING):
    """Fail on any serious or critical accessibility violation on ``page``
    (``impacts=EVERY_IMPACT`` holds a page to minor and moderate ones too)."""
    found = violations(page, impacts)
    assert not found, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in found
    )
