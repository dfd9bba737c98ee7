"""Arrows point one way (DESIGN.md): extractors -> transforms -> warehouse, flows on top."""

import ast
from pathlib import Path

import pytest

from sanctrace.settings import PROJECT_ROOT

FORBIDDEN = {
    "extractors": {"warehouse", "flows", "transforms"},
    "transforms": {"flows", "warehouse"},
    "warehouse": {"extractors", "flows"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_against_the_arrows(package):
    offenders = {}
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        bad = imported_packages(path) & FORBIDDEN[package]
        if bad:
            offenders[str(path.relative_to(PROJECT_ROOT))] = sorted(bad)
    assert not offenders


def test_flows_import_only_sanctrace_and_prefect():
    """Flows orchestrate: every source, code table and migration is reached through the app layer."""
    import sys

    allowed = {"sanctrace", "prefect", "flows", "__future__"} | set(sys.stdlib_module_names)
    offenders = {}
    for path in (PROJECT_ROOT / "flows").rglob("*.py"):
        bad = imported_packages(path) - allowed
        if bad:
            offenders[str(path.relative_to(PROJECT_ROOT))] = sorted(bad)
    assert not offenders


def test_flows_run_no_migration():
    for path in (PROJECT_ROOT / "flows").rglob("*.py"):
        text = path.read_text("utf-8")
        assert "upgrade(" not in text and "migrate" not in text, path
