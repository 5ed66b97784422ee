"""kill -9 of the listener and of the Celery worker in the middle of 10,000 QoS 1 messages: after the
restarts exactly 10,000 are stored, none twice. The same run with paho's default session settings loses
messages, which proves the test can see the trap."""

import json
import shutil
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from devices.alarms.sweeps import sweep_inbox
from devices.models import DeadLetter, Inbox, Reading
from tests.conftest import child_env
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import Proc, Publisher, wait_for_log, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(600),
    pytest.mark.district(
        "the district path: an external Mosquitto, mqtt_listen and Celery workers as processes"
    ),
]
TOTAL = 10_000
POINTS = 100


def listener_proc(broker: dict, tmp_path: Path, *, unsafe: bool = False) -> Proc:
    args = [sys.executable, "manage.py", "mqtt_listen", "--client-id", "kill9-listener"]
    if unsafe:
        args.append("--unsafe-paho-defaults")
    env = child_env(MQTT_URL=f"mqtt://{broker['host']}:{broker['port']}")
    return Proc(args, env, tmp_path / "listener.log")


def worker_proc(tmp_path: Path) -> Proc:
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    args = [celery, "-A", "command_center", "worker", "-Q", "ingest,cases,notify,reports", "-c", "2",
            "--loglevel", "WARNING", "--without-mingle", "--without-gossip"]  # fmt: skip
    return Proc(args, child_env(), tmp_path / "worker.log")


def purge_celery_queues() -> None:
    """Tasks left in this test run's Redis db by earlier tests would refer to rows that do not exist."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("ingest", "cases", "notify", "reports", "unacked", "unacked_index")


class PacedPublisher(threading.Thread):
    """Publishes TOTAL readings over POINTS points at about `rate` messages/s, QoS 1."""

    def __init__(self, broker: dict, codes: list[str], rate: int = 1500) -> None:
        super().__init__(daemon=True)
        self.broker, self.codes, self.rate = broker, codes, rate
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            publisher = Publisher(self.broker["host"], self.broker["port"], client_id="kill9-publisher")
            base = timezone.now() - timedelta(days=2)
            started = time.monotonic()
            infos = []
            for n in range(TOTAL):
                code = self.codes[n % len(self.codes)]
                ts = (base + timedelta(seconds=n)).isoformat()
                body = {"id": f"k-{n}", "ts": ts, "type": "smoke", "value": 0, "battery": 90}
                infos.append(publisher.publish(f"sensors/{code}/data", json.dumps(body).encode(), wait=False))
                self.sent = n + 1
                ahead = self.sent / self.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            publisher.wait_all(infos)
            publisher.close()
        except BaseException as exc:  # reported by the test
            self.error = exc


def locked_rows() -> set[int]:
    """Unprocessed rows a worker holds locked: a task is in the middle of its transaction."""
    from django.db import transaction

    with transaction.atomic():
        unprocessed = Inbox.objects.filter(processed_at__isnull=True)
        free = set(unprocessed.select_for_update(skip_locked=True).values_list("id", flat=True))
        return set(unprocessed.values_list("id", flat=True)) - free


def kill_worker_mid_task(worker: Proc, tries: int = 10) -> None:
    for _ in range(tries):
        locked = wait_until(locked_rows, timeout=30, every=0.002)
        worker.kill9()
        # Those rows are still unprocessed after the kill: the task died before its commit.
        interrupted = bool(locked) and Inbox.objects.filter(id__in=locked, processed_at__isnull=True).exists()
        time.sleep(1)
        worker.start()
        if interrupted:
            return
        time.sleep(2)
    raise AssertionError("never caught the worker in the middle of a task")


def run_with_kills(broker, tmp_path, *, unsafe: bool, with_worker: bool) -> PacedPublisher:
    codes = [SensorPointFactory(code=f"K9-{i:04d}").code for i in range(POINTS)]
    listener = listener_proc(broker, tmp_path, unsafe=unsafe).start()
    worker = worker_proc(tmp_path).start() if with_worker else None
    wait_for_log(tmp_path / "listener.log", "mqtt_listen: subscribed")
    time.sleep(2)  # the worker declares its queues
    publisher = PacedPublisher(broker, codes)
    try:
        publisher.start()
        assert wait_until(lambda: Inbox.objects.count() >= 2500, timeout=60), "the listener stores nothing"
        listener.kill9()
        gap_from = publisher.sent
        assert wait_until(lambda: publisher.sent >= gap_from + 1000, timeout=60)
        listener.start()
        if worker is not None:
            assert wait_until(lambda: Reading.objects.count() >= 4000, timeout=60), (
                "the worker processes nothing"
            )
            kill_worker_mid_task(worker)
        publisher.join(120)
        assert publisher.error is None, publisher.error
        assert publisher.sent == TOTAL
        # Whatever reached the inbox is there within seconds; then the sweeper re-queues the rows of
        # the task that died with the worker (Redis keeps its unacked message for an hour).
        wait_until(lambda: Inbox.objects.count() >= TOTAL, timeout=60)
        if worker is not None:
            deadline = time.monotonic() + 120
            while Inbox.objects.filter(processed_at__isnull=True).exists() and time.monotonic() < deadline:
                sweep_inbox(now=timezone.now() + timedelta(minutes=1))
                time.sleep(3)
    finally:
        listener.stop()
        if worker is not None:
            worker.stop()
    return publisher


def test_kill_9_listener_and_worker_exactly_10000_stored(private_mosquitto, tmp_path, transactional_db):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the production path goes through Celery")
    purge_celery_queues()
    run_with_kills(private_mosquitto, tmp_path, unsafe=False, with_worker=True)

    assert Inbox.objects.count() == TOTAL
    assert set(Inbox.objects.values_list("msg_id", flat=True)) == {f"k-{n}" for n in range(TOTAL)}
    assert not Inbox.objects.filter(processed_at__isnull=True).exists()
    assert Reading.objects.count() == TOTAL, "a reading was lost or stored twice"
    twice = Reading.objects.values("point_id", "ts").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()
    assert DeadLetter.objects.count() == 0
    # The rows of the task that died with the worker came back through the sweeper (an attempt each).
    assert Inbox.objects.filter(attempts__gte=1).exists(), "nothing was left behind by the killed worker"


def test_with_pahos_default_session_settings_messages_are_lost(private_mosquitto, tmp_path, transactional_db):
    run_with_kills(private_mosquitto, tmp_path, unsafe=True, with_worker=False)
    stored = Inbox.objects.count()
    assert stored < TOTAL - 500, f"paho's defaults lost only {TOTAL - stored} messages"
