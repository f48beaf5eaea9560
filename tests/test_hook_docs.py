"""Every hook, with its exact arguments, is documented in docs/hooks.md
(and hooks that plugins add, once they are loaded)."""

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "hooks.md"


def documented():
    text = DOCS.read_text()
    return {
        m.group(1): [a.strip() for a in m.group(2).split(",") if a.strip()]
        for m in re.finditer(r"^### (helpline_\w+)\(([^)]*)\)", text, re.M)
    }


def hooks_with_specs(app):
    pm = app.extensions["helpline.plugins"].pm
    for name, caller in vars(pm.hook).items():
        if name.startswith("helpline_") and caller.has_spec():
            yield name, list(caller.spec.argnames)


def test_every_hook_is_documented_with_its_arguments(app):
    docs = documented()
    for name, args in hooks_with_specs(app):
        assert name in docs, f"{name} is missing from docs/hooks.md"
        assert docs[name] == args, f"{name}: docs say {docs[name]}, the spec takes {args}"


def test_documented_hooks_exist(app):
    specs = dict(hooks_with_specs(app))
    for name in documented():
        assert name in specs, f"docs/hooks.md documents {name}, which is not a hook"


@pytest.mark.parametrize("family", ["register", "on"])
def test_docstrings_in_code(app, family):
    pm = app.extensions["helpline.plugins"].pm
    for name, caller in vars(pm.hook).items():
        if name.startswith(f"helpline_{family}_") and caller.has_spec():
            assert caller.spec.function.__doc__, f"{name} has no docstring"
