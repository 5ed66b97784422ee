"""A database built by the code before the accounts app existed (users and departments were
command_center's) migrates to today's layout with every row where it was.

The old code is taken from git (the commit below), migrated and filled with the demo street, an admin
history row and an API token; then today's migrations run on the same database file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEFORE_ACCOUNTS = "c5c5428"  # the last commit with User and Department in command_center

FILL = """
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from rest_framework.authtoken.models import Token
from command_center.models import User
admin = User.objects.get(username="admin")
LogEntry.objects.log_action(admin.pk, ContentType.objects.get_for_model(User).pk, admin.pk, "admin", ADDITION)
Token.objects.create(user=admin, key="0" * 40)
"""

CHECK = """
from django.contrib.admin.models import LogEntry
from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token
entry = LogEntry.objects.get()
assert entry.content_type.app_label == "accounts", entry.content_type
assert entry.get_edited_object().username == "admin"
assert Token.objects.get(key="0" * 40).user.username == "admin"
assert authenticate(username="dispatcher", password="demo12345") is not None
print("upgrade-ok")
"""


def manage(code: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=code, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def row_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


def test_a_database_of_the_old_layout_keeps_every_row(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BEFORE_ACCOUNTS], capture_output=True, check=False
    )
    assert archive.returncode == 0, f"this test needs the git history ({BEFORE_ACCOUNTS}): {archive.stderr!r}"
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    database = tmp_path / "db.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "MQTT_URL", "PYTHONPATH", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(SQLITE_PATH=str(database), DCC_VAR_DIR=str(tmp_path / "var"), SECRET_KEY="upgrade-test")

    manage(old, env, "migrate", "--noinput")
    manage(old, env, "seed_demo")
    manage(old, env, "shell", "-c", FILL)
    before = row_counts(database)
    assert before["command_center_user"] >= 5
    assert before["command_center_department"] > 0

    manage(ROOT, env, "migrate", "--noinput")
    after = row_counts(database)

    lost = {table: (n, after.get(table)) for table, n in before.items() if after.get(table, 0) < n}
    assert not lost, f"rows lost: {lost}"
    assert "upgrade-ok" in manage(ROOT, env, "shell", "-c", CHECK)
    # A second migrate finds nothing to do: the old migration counts as applied, not as pending.
    assert "No migrations to apply" in manage(ROOT, env, "migrate", "--noinput")
