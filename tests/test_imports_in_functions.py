"""Imports sit at module level wherever the layers allow (issue 14, step 3).

An import inside a function (an ast.Import or ast.ImportFrom with a function among its
parents) is allowed only with its reason in a comment on the line above it (or above the
block of imports it belongs to) or at the end of its line, and there are at most
MAX_IN_FUNCTION of them in the apps (migrations and tests aside). grimp sees imports inside
functions too, so one never hides a circle from tests/test_layers.py; one is kept for
start-up time (a heavy library loaded only by the path that needs it) or because the module
loads before Django's settings or app registry are ready.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "sispam",
    "core",
    "personnel",
    "operations",
    "incidents",
    "logistics",
    "command",
    "demo",
)
SKIPPED_DIRS = {"migrations", "tests"}
MAX_IN_FUNCTION = 19


def _in_function_imports(tree: ast.AST):
    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            yield from walk(
                child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            )

    yield from walk(tree, False)


def in_function_imports() -> list[tuple[str, int, bool]]:
    """(path, line, has a reason) of every import inside a function in the apps."""
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if SKIPPED_DIRS & set(rel.parts):
                continue
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines()
            previous = None  # (end line, has a reason) of the import before
            for node in _in_function_imports(ast.parse(source, filename=str(rel))):
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                own = lines[node.lineno - 1 : node.end_lineno]
                reason = above.startswith("#") or any("#" in line for line in own)
                # A comment above a block of imports covers each import of the block.
                if previous is not None and previous[0] == node.lineno - 1 and previous[1]:
                    reason = True
                found.append((str(rel), node.lineno, reason))
                previous = (node.end_lineno, reason)
    return found


def test_imports_inside_functions_are_few():
    found = in_function_imports()
    assert len(found) <= MAX_IN_FUNCTION, "\n".join(f"{p}:{n}" for p, n, _ in found)


def test_each_import_inside_a_function_says_why():
    unexplained = [f"{p}:{n}" for p, n, reason in in_function_imports() if not reason]
    assert unexplained == [], "an import inside a function needs a comment saying why"
