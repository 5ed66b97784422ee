"""Settings come from the environment only: the two profiles, the secret key, check --deploy."""

import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROFILE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MQTT_URL", "SECRET_KEY", "DEBUG", "HTTPS", "ALLOWED_HOSTS")


def manage(args, env_overrides, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k not in PROFILE_VARIABLES}
    env["DCC_VAR_DIR"] = str(tmp_path / "var")
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_env():
    return {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dcc",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "MQTT_URL": "mqtt://ingest:secret@127.0.0.1:1883",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "command.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://command.example.org",
        "HTTPS": "true",
        "PERSONAL_DATA_KEY": "5Nq9bD0bq3m0f6xk3v7HkHq1d5l8a2Yc0n4JmQe2WcI=",
        "PERSONAL_DATA_HASH_KEY": secrets.token_urlsafe(32),
    }


def test_check_deploy_passes_for_the_district_profile_with_production_variables(tmp_path):
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(), tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_debug_is_on(tmp_path):
    result = manage(
        ["check", "--deploy", "--fail-level", "WARNING"], {**production_env(), "DEBUG": "1"}, tmp_path
    )

    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


def test_district_profile_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]

    result = manage(["check"], env, tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_standalone_profile_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = manage(["shell", "--no-imports", "-c", "from django.conf import settings; print(settings.PROFILE, settings.SECRET_KEY)"],
                   {}, tmp_path)  # fmt: skip
    second = manage(
        ["shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        {},
        tmp_path,
    )

    assert first.returncode == 0, first.stderr
    profile, key = first.stdout.split()
    assert profile == "standalone"
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == key == second.stdout.strip()
    assert len(key) >= 50
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "sqlite3 InMemoryChannelLayer True True"),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dcc", "REDIS_URL": "redis://127.0.0.1:6379/3",
             "MQTT_URL": "mqtt://127.0.0.1:1883", "SECRET_KEY": "x" * 60},
            "postgresql RedisPubSubChannelLayer False False",
        ),
    ],
)  # fmt: skip
def test_each_variable_selects_its_service(tmp_path, variables, expected):
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'].rsplit('.', 1)[1], s.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[1],"
        " s.CELERY_TASK_ALWAYS_EAGER, s.MQTT['embedded'])"
    )

    result = manage(["shell", "--no-imports", "-c", code], variables, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_malformed_mqtt_url_is_a_clear_error(tmp_path):
    result = manage(["check"], {"MQTT_URL": "http://broker:1883", "SECRET_KEY": "x" * 60}, tmp_path)

    assert result.returncode != 0
    assert "MQTT_URL must look like mqtt://" in result.stderr
