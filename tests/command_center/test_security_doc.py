"""docs/security.md shows the role matrix; it must say what the role test expects."""

import re
from pathlib import Path

from tests.command_center.test_api_roles import EXPECTED

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def documented_matrix() -> dict[tuple[str, str], tuple[int, ...]]:
    rows = re.findall(r"^\| `(\w+) (\S+)` \|([\d |]+)\|$", DOC.read_text(), flags=re.MULTILINE)
    return {(method, path): tuple(int(code) for code in codes.split("|")) for method, path, codes in rows}


def test_the_documented_role_matrix_is_the_tested_one() -> None:
    assert documented_matrix() == EXPECTED
