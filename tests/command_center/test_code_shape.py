"""The shape of the code: no app module over 500 lines, no import cycles between files, no app reached
through importlib, and an import inside a function says in a comment why it is there."""

import ast
import re
from pathlib import Path

import grimp
import pytest

from tests.command_center.test_layers import PACKAGES, ROOT

MAX_LINES = 500


def app_modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    )


def test_no_app_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in app_modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these by concern: {long}"


def test_no_import_module_between_apps() -> None:
    found = [
        str(path.relative_to(ROOT))
        for path in app_modules()
        if re.search(r"\bimport_module\(|importlib\.", path.read_text())
        # Django's admin autodiscovery, minus django-leaflet's GeoDjango admin: not one app reaching another.
        and path != ROOT / "command_center" / "apps.py"
    ]
    assert not found, f"import the other app's services or selectors instead: {found}"


def _undocumented_function_imports(path: Path) -> list[str]:
    """Imports inside functions without a comment on their line or above their block of imports."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = [node for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)]
        import_lines = {
            n for node in imports for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        }
        for node in imports:
            if "#" in lines[node.lineno - 1]:
                continue
            above = node.lineno - 1
            while above in import_lines or (above > 0 and not lines[above - 1].strip()):
                above -= 1
            if not (above > 0 and lines[above - 1].strip().startswith("#")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_an_import_inside_a_function_says_why() -> None:
    found = [where for path in app_modules() for where in _undocumented_function_imports(path)]
    assert not found, f"move these imports to the top, or say in a comment why they cannot be there: {found}"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles_between_files(package: str) -> None:
    graph = grimp.build_graph(package, cache_dir=None)
    cycles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.add(" -> ".join((module, *chain)))
    assert not cycles, "\n".join(sorted(cycles))
