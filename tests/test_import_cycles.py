"""No import cycles among the modules of ``app/`` and ``plugins/``.

The graph is built from the source with ``ast`` (nothing is imported).
Importing ``a.b.c`` also runs the packages ``a`` and ``a.b``, so those count
as edges too, except for packages that contain the importing module (a
module importing a sibling does not re-enter its own package).

Two checks: at import time (module-level imports, including those in
top-level ``if``/``try``/``with`` blocks and class bodies) there is no cycle
at all; and, counting imports inside functions as well, none of the plugin
system's modules (the ones the issue found tangled) takes part in a cycle:
hiding a cycle behind a function-level import does not make it go away.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("app", "plugins")
# The app factory (``app/__init__.py``) wires every part together inside
# ``create_app``; it is the one place allowed to import everything lazily.
FACTORY = "app"
PLUGIN_SYSTEM = ("app.plugins", "app.defaults", "app.events", "app.bus", "app.auth", "app.hookspecs")


def modules():
    """``{dotted name: (path, is_package)}`` for every module under PACKAGES."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join(parts)] = (path, is_package)
    return found


def _import_nodes(tree, function_level):
    """Import statements that run when the module is imported (or, with
    ``function_level``, anywhere in it). ``if TYPE_CHECKING:`` blocks never run."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if function_level:
                stack.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def graph(function_level=False):
    """``{module: {modules it imports}}``, restricted to our own modules."""
    known = modules()

    def owner(name):
        # the longest known module prefix of a dotted name
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges = {}
    for name, (path, is_package) in known.items():
        package = name if is_package else name.rpartition(".")[0]
        targets = set()
        for node in _import_nodes(ast.parse(path.read_text()), function_level):
            if isinstance(node, ast.Import):
                targets.update(owner(alias.name) for alias in node.names)
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in known else owner(source))
        deps = set()
        for target in targets - {None, name}:
            deps.add(target)
            if not function_level:
                parent = target.rpartition(".")[0]
                while parent:
                    if not (name == parent or name.startswith(parent + ".")):
                        deps.add(parent)
                    parent = parent.rpartition(".")[0]
        edges[name] = deps - {name}
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan,
    iterative), each as one example cycle path."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(_path_within(edges, component))
    return found


def _path_within(edges, component):
    """One cycle through the component (a shortest one from its first
    module), as ``a -> b -> ... -> a``."""
    start = min(component)
    parents, queue = {start: None}, [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(edges[node] & component):
            if child == start:
                path = [node]
                while parents[path[-1]] is not None:
                    path.append(parents[path[-1]])
                return " -> ".join([*reversed(path), start])
            if child not in parents:
                parents[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {start} in {sorted(component)}")


def in_plugin_system(name):
    return any(name == m or name.startswith(m + ".") for m in PLUGIN_SYSTEM) or name.startswith("plugins.")


def test_the_graph_sees_real_imports():
    edges = graph()
    assert "app.plugins.loader" in edges["app.plugins"]
    assert "app.plugins" in edges["app.events"], "importing app.plugins.cache runs the app.plugins package"
    assert "plugins.macros.service" in edges["plugins.macros.tasks"]


def test_cycle_finder_reports_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_at_import_time():
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(found)


def test_plugin_system_has_no_cycle_even_through_function_level_imports():
    edges = graph(function_level=True)
    edges = {name: deps - {FACTORY} for name, deps in edges.items() if name != FACTORY}
    found = [cycle for cycle in cycles(edges) if any(in_plugin_system(m) for m in cycle.split(" -> "))]
    assert not found, "cycles through the plugin system:\n" + "\n".join(found)
