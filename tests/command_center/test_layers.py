"""The import contracts in pyproject.toml ([tool.importlinter]) hold, and they do catch an import
against the direction: a copy of the code with one added module that imports upwards breaks them."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]


def copy_of_the_code(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_code_keeps_its_contracts(tmp_path: Path) -> None:
    result = lint_imports(copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_against_the_direction_breaks_them(tmp_path: Path) -> None:
    code = copy_of_the_code(tmp_path)
    (code / "grids" / "upward_probe.py").write_text("from cases import models  # grids is below cases\n")
    result = lint_imports(code)
    assert result.returncode != 0, result.stdout
    assert "grids.upward_probe -> cases" in result.stdout
