"""docs/plugins.md cannot rot: its python examples run here, top to bottom
as one module, and the ``test_*`` functions and ``Test*`` classes they
define run as tests of this module with the kit's fixtures; its reference
documents every name ``app.plugin`` exports, with the real signatures."""

import ast
import inspect
import pathlib
import re
import sys
import types

import pytest

import app.plugin

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
MODULE = "plugin_docs_examples"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
HEADING = re.compile(r"^#### `(\w+)(\(.*\))?`\s*$", re.M)


def python_blocks(text):
    """``(first line number, code)`` of every ```python block."""
    return [(text.count("\n", 0, match.start(1)) + 1, match.group(1)) for match in BLOCK.finditer(text)]


def run_examples():
    """Execute the examples as the module ``plugin_docs_examples`` (a real
    module, so plugins can name it in ``helpline_register_tasks``). Line
    numbers in tracebacks are the document's."""
    module = types.ModuleType(MODULE, "The python examples of docs/plugins.md.")
    module.__file__ = str(DOC)
    sys.modules[MODULE] = module
    for line, code in python_blocks(DOC.read_text()):
        exec(compile("\n" * (line - 1) + code, str(DOC), "exec"), module.__dict__)
    return module


_examples = run_examples()
globals().update({name: obj for name, obj in vars(_examples).items() if name.startswith(("test_", "Test"))})


def test_the_examples_hold_tests():
    names = [name for name in vars(_examples) if name.startswith(("test_", "Test"))]
    assert len(names) >= 4, names


def _reference():
    text = DOC.read_text()
    return text[text.index("## Reference: `app.plugin`") :]


def _documented():
    """``{name: parameter text or None}`` from the reference's headings."""
    found = {}
    for match in HEADING.finditer(_reference()):
        name, params = match.groups()
        assert name not in found, f"{name} is documented twice"
        found[name] = params
    return found


def test_the_reference_documents_every_export_and_nothing_else():
    documented = _documented()
    assert sorted(set(app.plugin.__all__) - set(documented)) == [], "exported, not in docs/plugins.md"
    assert sorted(set(documented) - set(app.plugin.__all__)) == [], "in docs/plugins.md, not exported"


def _doc_parameters(text):
    """``[(name, default or ...)]`` of a documented ``(a, b=1, c=<list>)``;
    ``<...>`` stands for a default built per call (a fresh list, dict, ...)."""
    source = re.sub(r"<[^<>]*>", "...", text)
    args = ast.parse(f"def f{source}: pass").body[0].args
    positional = args.posonlyargs + args.args
    defaults = [...] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [(a.arg, d) for a, d in zip(positional, defaults)]
    params += [(a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.vararg:
        params.append(("*" + args.vararg.arg, ...))
    if args.kwarg:
        params.append(("**" + args.kwarg.arg, ...))
    return [(name, ... if d is ... or d is None else _literal(d)) for name, d in params]


def _literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ...  # an ellipsis placeholder or an expression: not compared


def _real_parameters(obj):
    params = []
    for p in inspect.signature(obj).parameters.values():
        name = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        params.append((name, p.default))
    return params


@pytest.mark.parametrize("name", app.plugin.__all__)
def test_documented_signatures_match_the_code(name):
    obj = getattr(app.plugin, name)
    params = _documented().get(name)
    if inspect.isfunction(obj):
        assert params is not None, f"document {name} with its signature: #### `{name}(...)`"
    if params is None:
        return
    real = _real_parameters(obj)
    documented = _doc_parameters(params)
    assert [n for n, _ in documented] == [n for n, _ in real], name
    for (param, shown), (_, default) in zip(documented, real):
        if shown is ...:
            continue
        assert default is not inspect.Parameter.empty, f"{name}: {param} has no default"
        assert shown == default, f"{name}: {param} defaults to {default!r}, not {shown!r}"
