"""docker-compose.yml cannot run here (no Docker engine), so read it: every process it starts must exist."""

import re
import shlex

import pytest
import yaml
from django.core.management import get_commands
from django.utils.module_loading import import_string

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def commands_of(service):
    command = service.get("command")
    if command is None:
        return []
    if isinstance(command, str):
        command = shlex.split(command)
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


ALL_COMMANDS = [
    (name, argv)
    for name, service in SERVICES.items()
    if service.get("image") == "district-command-center:latest"  # our image; others run their own
    for argv in commands_of(service)
]


def test_the_district_profile_has_every_role():
    roles = {
        "web",
        "ws",
        "ingest-worker",
        "worker",
        "beat",
        "mqtt_listen",
        "nginx",
        "postgres",
        "redis",
        "mosquitto",
    }
    assert roles <= set(SERVICES)
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    assert SERVICES["mosquitto"]["image"].startswith("eclipse-mosquitto:2")


@pytest.mark.parametrize(("service", "argv"), ALL_COMMANDS, ids=[name for name, _ in ALL_COMMANDS])
def test_every_command_exists(service, argv):
    program = argv[0]
    if program == "python":
        assert argv[1] == "manage.py"
        assert argv[2] in get_commands(), f"{service}: no management command {argv[2]!r}"
    elif program == "gunicorn":
        assert import_string(argv[1].replace(":", ".")) is not None
    elif program == "daphne":
        target = argv[-1]
        assert import_string(target.replace(":", ".")) is not None
    elif program == "celery":
        assert argv[1:3] == ["-A", "command_center"]
        assert import_string("command_center.celery_app").main == "command_center"
    else:
        pytest.fail(f"{service}: unknown program {program}")


def test_every_queue_tasks_are_routed_to_has_a_worker_and_ingest_one_of_its_own():
    from django.conf import settings

    workers = {
        name: argv[argv.index("-Q") + 1].split(",")
        for name, argv in ALL_COMMANDS
        if argv[1:4] == ["-A", "command_center", "worker"]
    }
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {
        settings.CELERY_TASK_DEFAULT_QUEUE
    }
    assert routed <= {queue for queues in workers.values() for queue in queues}
    assert ["ingest"] in workers.values()  # alarms never wait behind case workflows


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("devices.tasks.process_inbox", "ingest"),
        ("devices.tasks.sweep_inbox", "ingest"),
        ("devices.tasks.sweep_offline_points", "ingest"),
        ("devices.tasks.open_alarm_cases", "cases"),
        ("cases.tasks.escalate_case", "cases"),
        ("cases.tasks.sweep_deadlines", "cases"),
        ("cases.tasks.send_notification", "notify"),
        ("cases.tasks.send_notifications", "notify"),
    ],
)
def test_each_task_goes_to_its_queue(task, queue):
    from command_center import celery_app

    celery_app.loader.import_default_modules()
    assert task in celery_app.tasks
    assert celery_app.amqp.router.route({}, task)["queue"].name == queue


def test_every_file_mounted_from_the_repository_exists():
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_nginx_sends_websockets_to_daphne_and_the_rest_to_gunicorn():
    conf = (ROOT / "deploy/nginx/nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+) \{ server ([\w.:]+); \}", conf))
    ws_port = commands_of(SERVICES["ws"])[0]
    web_argv = commands_of(SERVICES["web"])[0]

    assert upstreams["ws_app"] == f"ws:{ws_port[ws_port.index('--port') + 1]}"
    assert upstreams["http_app"] == "web:" + web_argv[web_argv.index("--bind") + 1].split(":")[1]
    assert re.search(r"location /ws/ \{\s*proxy_pass http://ws_app;", conf)
    assert "Upgrade $http_upgrade" in conf
