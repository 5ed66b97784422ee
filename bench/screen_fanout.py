"""Wall screen fan-out benchmark: many screens connected while the sensors publish.

    .venv/bin/python bench/screen_fanout.py [--screens 50] [--rate 1000] [--seconds 60]
                                            [--alarms-per-second 10] [--storm 3000] [--split-workers]

Starts its own Mosquitto (the deploy sizes, anonymous, free port), a scratch PostgreSQL database with the
demo street (dropped and created), daphne (HTTP and WebSocket), `mqtt_listen` and a Celery worker (with
`--split-workers` one for the ingest queue and one for the others, at nice 10), then connects `--screens`
WebSocket clients to ws/screen/ as the demo dispatcher and:

1. steady: publishes `--rate` QoS 1 messages/s for `--seconds` (heartbeats and normal smoke readings,
   with `--alarms-per-second` of them smoke alarms on fresh detectors);
2. storm: `--storm` smoke alarms as fast as `--rate` allows.

It reports alarm → frame latency on every screen (publish time of the MQTT message to the arrival of the
frame carrying `alarm.raised`, p50/p95/p99/max, steady phase and storm apart), frames dropped (per screen:
realtime messages the consumer received, as counted in its frames, against the messages numbered for the
`district` group during the run), resyncs, and the most frames one screen received in any second.

Where the time goes (`steady_alarm_stages`, also printed as a table): the platform's processes run with
PIPELINE_STAMPS set (command_center.stamps: one file of time stamps per process in the run's directory,
nothing sent to clients or stored) and each steady-phase alarm is followed through listener received
(the inbox row's received_at), inbox committed, process_inbox started, the alarm's broadcast call (the
event's `at`), its commit, its send to Redis, daphne's stream receiving it, the frame's `t` and the
frame's arrival on every screen. `cpu_cores_while_publishing`: the cores each process used meanwhile,
and what the rest of the machine used (other users of a shared box show there).
Writes bench/results/screen_fanout-*.json. Figures go to docs/performance.md with the date and machine.
"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DB_NAME = os.environ.get("BENCH_DB", "dcc_bench_screen")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DEMO_USER, DEMO_PASSWORD = "dispatcher", "demo12345"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing on port {port}")


def most_in_one_second(times: list[float]) -> int:
    """The most of these moments within any one second (a sliding window over the sorted times)."""
    times = sorted(times)
    best = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Platform:
    """The scratch database and the processes of one run."""

    def __init__(self, workdir: Path, *, workers: int, batch_wait_ms: int, split: bool = False) -> None:
        self.workdir = workdir
        self.split = split
        self.workers = workers
        self.batch_wait_ms = batch_wait_ms
        self.mqtt_port = free_port()
        self.http_port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}",
            "REDIS_URL": REDIS_URL,
            "MQTT_URL": f"mqtt://127.0.0.1:{self.mqtt_port}",
            "SECRET_KEY": "bench-only-not-secret",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update({k: self.env[k] for k in ("DATABASE_URL", "REDIS_URL", "MQTT_URL", "SECRET_KEY")})
        self.stamps = workdir / "stamps"  # command_center.stamps: one file per process of the platform
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "command_center.settings")

    def create_database(self) -> None:
        import psycopg2
        import redis

        admin = psycopg2.connect(PG_ADMIN_URL)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {DB_NAME}")
        admin.close()
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        subprocess.run([PYTHON, "manage.py", "seed_demo"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        redis.Redis.from_url(REDIS_URL).flushdb()  # this run's own Redis database only

        import django

        django.setup()

    def session_cookie(self) -> str:
        from django.test import Client

        from accounts.models import User

        client = Client()
        client.force_login(User.objects.get(username=DEMO_USER))
        return f"sessionid={client.cookies['sessionid'].value}"

    def start(self, name: str, args: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("a")
        self.procs[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start_all(self) -> None:
        self.env["PIPELINE_STAMPS"] = str(self.stamps)
        conf = (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text()
        conf = conf.replace("listener 1883 0.0.0.0", f"listener {self.mqtt_port} 127.0.0.1")
        conf = conf.replace("allow_anonymous false", "allow_anonymous true").replace(
            "persistence true", "persistence false"
        )
        conf = "\n".join(
            line for line in conf.splitlines() if not line.startswith(("password_file", "acl_file"))
        )
        (self.workdir / "mosquitto.conf").write_text(conf + "\n")
        self.start("mosquitto", [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c",
                                 str(self.workdir / "mosquitto.conf")])  # fmt: skip
        wait_for_port(self.mqtt_port)
        celery = shutil.which("celery", path=str(Path(PYTHON).parent)) or "celery"
        self.start("daphne", [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.http_port),
                              "command_center.asgi:application"])  # fmt: skip
        self.start("listener", [PYTHON, "manage.py", "mqtt_listen", "--client-id", "bench-screen",
                                "--batch-wait-ms", str(self.batch_wait_ms)])  # fmt: skip
        queues = [("ingest", self.workers), ("cases,notify,reports", 1)] if self.split else [
            ("ingest,cases,notify,reports", self.workers)]  # fmt: skip
        for n, (names, concurrency) in enumerate(queues):
            # Split: the case worker runs at a lower CPU priority, so opening cases (~25 ms of CPU each)
            # yields the CPU to the alarms' way to the screens (docker-compose: a quarter of the CPU shares).
            nice = ["nice", "-n", "10"] if self.split and "ingest" not in names else []
            self.start(f"worker-{n}", [*nice, celery, "-A", "command_center", "worker", "-Q", names, "-n",
                                       f"bench{n}@%h", "-c", str(concurrency), "--loglevel", "WARNING",
                                       "--without-mingle", "--without-gossip"])  # fmt: skip
        wait_for_port(self.http_port)
        time.sleep(5)  # the listener subscribes, the worker declares its queues

    def cpu_seconds(self, others: dict[str, int]) -> dict[str, float]:
        """CPU seconds so far of each platform process (with its children), of the `others` (name ->
        pid) and of PostgreSQL's backends now connected to the scratch database."""
        import psutil
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            backends = [pid for (pid,) in cursor.fetchall()]
        groups = {name: [pid] for name, pid in others.items()}
        for name, proc in self.procs.items():
            groups[name] = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
        groups["postgresql"] = backends
        box = psutil.cpu_times()
        seconds: dict[str, float] = {
            "whole machine": box.user + box.nice + box.system + box.irq + box.softirq
        }
        for name, pids in groups.items():
            seconds[name] = 0.0
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    times = psutil.Process(pid).cpu_times()
                    seconds[name] += times.user + times.system
        return seconds

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# --- the database's side ----------------------------------------------------------------------------


def district_seq() -> int:
    from command_center.realtime import current_seqs

    return current_seqs(["district"])["district"]


def pipeline_busy() -> dict[str, int]:
    import redis

    from devices.models import Alarm, Inbox

    queues = redis.Redis.from_url(REDIS_URL)
    return {
        "inbox_unprocessed": Inbox.objects.filter(processed_at__isnull=True).count(),
        "alarms_case_pending": Alarm.objects.filter(case_pending=True).count(),
        "celery_ingest_queue": int(queues.llen("ingest")),
        "celery_cases_queue": int(queues.llen("cases")),
    }


def choose_points(alarms: int) -> tuple[list[str], list[str], list[str]]:
    """(smoke detectors for alarms, smoke detectors with normal readings, other points for heartbeats)."""
    from devices.models import SensorPoint

    active = SensorPoint.objects.filter(status=SensorPoint.Status.ACTIVE).order_by("pk")
    smoke = list(active.filter(scene__code="smoke").values_list("code", flat=True))
    other = list(active.exclude(scene__code="smoke").values_list("code", flat=True))
    if alarms > len(smoke) - 100:
        raise SystemExit(f"only {len(smoke)} smoke detectors: ask for at most {len(smoke) - 100} alarms")
    random.Random(5).shuffle(smoke)
    return smoke[:alarms], smoke[alarms:], other


def read_stamps(prefix: Path) -> dict[str, list[list[str]]]:
    """The stamp lines of every process (command_center.stamps): stage -> [[time, key...], ...]."""
    lines: dict[str, list[list[str]]] = {}
    for path in prefix.parent.glob(prefix.name + ".*"):
        for line in path.read_text().splitlines():
            stage, *rest = line.split()
            lines.setdefault(stage, []).append(rest)
    return lines


def stage_times(prefix: Path, screens: list["Screen"], published: "Published") -> dict[str, Any]:
    """Where each steady-phase alarm spent its time: publish, listener received (the inbox row's
    received_at), inbox committed, process_inbox started, the alarm's broadcast call (the event's
    `at`), its commit, its send to Redis done, daphne's stream received it, the frame's `t`, and the
    frame's arrival on each screen. Percentiles of each step, in ms."""
    from bisect import bisect_right

    from devices.models import Inbox

    stamps = read_stamps(prefix)

    def ranges(stage: str) -> tuple[list[int], list[tuple[int, float]]]:
        spans = sorted((int(lo), int(hi), float(t)) for t, lo, hi in stamps.get(stage, []))
        return [lo for lo, _hi, _t in spans], [(hi, t) for _lo, hi, t in spans]

    def in_range(index: tuple[list[int], list[tuple[int, float]]], inbox_id: int) -> float | None:
        los, rest = index
        n = bisect_right(los, inbox_id) - 1
        if n < 0 or rest[n][0] < inbox_id:
            return None
        return rest[n][1]

    def first(stage: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for t, *keys in stamps.get(stage, []):
            for key in keys:
                out.setdefault(key, float(t))
        return out

    committed_inbox, task_started = ranges("inbox_committed"), ranges("task_started")
    committed, sent, layer_received = first("committed"), first("sent"), first("layer_received")
    frame_sent = {round(float(key), 6): float(t) for t, key in stamps.get("frame_sent", [])}
    codes = sorted(published.steady_codes)
    inbox = {
        code: (inbox_id, received_at.timestamp())
        for code, inbox_id, received_at in Inbox.objects.filter(device_code__in=codes, type="smoke", value=1)
        .order_by("-id")
        .values_list("device_code", "id", "received_at")
    }
    names = ["publish → listener received", "received → inbox committed", "inbox committed → task started",
             "task started → broadcast call", "broadcast call → committed", "committed → sent to Redis",
             "sent → daphne received", "daphne received → frame t", "frame t → handed to all screens",
             "frame t → arrival (every screen)"]  # fmt: skip
    steps: dict[str, list[float]] = {name: [] for name in names}
    unmatched = 0
    for code in codes:
        if code not in inbox or code not in screens[0].raised_in:
            unmatched += 1
            continue
        inbox_id, received = inbox[code]
        at, frame_t = screens[0].raised_in[code]
        chain = [
            published.alarm_at[code],
            received,
            in_range(committed_inbox, inbox_id),
            in_range(task_started, inbox_id),
            datetime.fromisoformat(at).timestamp() if at else None,
            committed.get(at),
            sent.get(at),
            layer_received.get(at),
            frame_t,
        ]
        for name, before, after in zip(names, chain, chain[1:], strict=False):
            if before is not None and after is not None:
                steps[name].append((after - before) * 1000)
        done = frame_sent.get(round(frame_t, 6))
        if done is not None:
            steps[names[-2]].append((done - frame_t) * 1000)
        steps[names[-1]].extend((s.raised[code] - frame_t) * 1000 for s in screens if code in s.raised)
    return {
        "alarms": len(codes),
        "unmatched": unmatched,
        "steps_ms": {name: step(v) for name, v in steps.items()},
    }


def step(values: list[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        **{f"p{q}": _round(percentile(values, q / 100)) for q in (50, 95, 99)},
        "max": _round(max(values) if values else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- sensors ----------------------------------------------------------------------------------------


@dataclass
class Published:
    alarm_at: dict[str, float] = field(default_factory=dict)  # code -> publish time (epoch s)
    steady_codes: set[str] = field(default_factory=set)
    messages: int = 0
    started: float = 0.0
    storm_started: float = 0.0
    finished: float = 0.0
    cpu_seconds: float = 0.0  # the publishing process's own


def publish(port: int, plan: argparse.Namespace, alarm_codes: list[str], normal: list[str], other: list[str],
            out: Published) -> None:  # fmt: skip
    """The sensors: bench/mqttpub.py (QoS 1, a tenth of a paho publisher's CPU), paced in 5-ms ticks.

    An alarm's publish time is taken before the `send` of its tick, so alarm → frame counts the tick's
    own sending too."""
    from mqttpub import Publisher

    publisher = Publisher("127.0.0.1", port, client_id="bench-screen-sensors")
    topics: dict[str, bytes] = {}

    def message(code: str, kind: str, value: float | None) -> tuple[bytes, bytes]:
        topic = topics.get(code) or topics.setdefault(code, Publisher.topic(f"sensors/{code}/data"))
        ts = datetime.now(UTC).isoformat()
        reading = "" if value is None else f',"value":{value}'
        return topic, f'{{"id":"b{out.messages}","ts":"{ts}","type":"{kind}"{reading}}}'.encode()

    def run(total: int, next_message: Any) -> None:
        begin = time.monotonic()
        n = 0
        while n < total:
            due = min(total, int(plan.rate * (time.monotonic() - begin)) + 1)
            batch, alarms = [], []
            for k in range(n, due):
                code, kind, value = next_message(k)
                if kind == "smoke" and value == 1:
                    alarms.append(code)
                batch.append(message(code, kind, value))
                out.messages += 1
            now = time.time()
            for code in alarms:
                out.alarm_at[code] = now
            publisher.send(batch)
            n = due
            publisher.poll()
            time.sleep(0.005)

    alarms = iter(alarm_codes)
    alarm_every = max(1, int(plan.rate / plan.alarms_per_second)) if plan.alarms_per_second else 0

    def steady(n: int) -> tuple[str, str, float | None]:
        if alarm_every and n % alarm_every == 0:
            code = next(alarms)
            out.steady_codes.add(code)
            return code, "smoke", 1
        if n % 2:
            return normal[n % len(normal)], "smoke", 0
        return other[n % len(other)], "heartbeat", None

    out.started = time.time()
    run(int(plan.rate * plan.seconds), steady)
    out.storm_started = time.time()
    storm = list(alarms)[: plan.storm]
    run(len(storm), lambda n: (storm[n], "smoke", 1))
    out.finished = time.time()
    publisher.finish(120)


def publish_process(port: int, plan: argparse.Namespace, alarm_codes: list[str], normal: list[str],
                    other: list[str], results: Any) -> None:  # fmt: skip
    out = Published()
    publish(port, plan, alarm_codes, normal, other, out)
    out.cpu_seconds = sum(os.times()[:2])
    results.put(out)


# --- screens ----------------------------------------------------------------------------------------


@dataclass
class Screen:
    n: int
    frames: list[tuple[float, float]] = field(default_factory=list)  # (arrived, sent by the server)
    received: int = 0
    first_seq: int = 0  # the district counter when the screen joined
    resyncs: int = 0
    raised: dict[str, float] = field(default_factory=dict)  # sensor code -> frame arrival
    raised_in: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (event's at, frame's t)
    broadcast_ms: list[float] = field(default_factory=list)  # alarm.raised: broadcast call -> arrival
    closed: str = ""


async def watch(screen: Screen, url: str, cookie: str, stop: asyncio.Event, connected: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    origin = url.replace("ws://", "http://").split("/ws/")[0]
    async with connect(url, additional_headers={"Cookie": cookie}, origin=origin, max_size=2**24,  # type: ignore[arg-type]
                       open_timeout=30) as socket_:  # fmt: skip
        hello = json.loads(await socket_.recv())
        assert hello["type"] == "hello", hello
        screen.first_seq = hello["seqs"]["district"]
        connected.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket_.recv(), 0.5)
            except TimeoutError:
                continue
            arrived = time.time()
            frame = json.loads(raw)
            if frame.get("type") != "events":
                continue
            screen.frames.append((arrived, frame["t"]))
            screen.received += frame["received"]
            screen.resyncs += bool(frame["resync"])
            for event in frame["events"]:
                if event["kind"] == "alarm" and "alarm.raised" in event.get("events", [event["event"]]):
                    code = (event.get("data") or {}).get("sensor_point")
                    if code and code not in screen.raised:
                        screen.raised[code] = arrived
                        # The raise's own broadcast, unless an update of the alarm replaced it in the window.
                        own = event["at"] if event["event"] == "alarm.raised" else ""
                        screen.raised_in[code] = (own, frame["t"])
                        at = datetime.fromisoformat(event["at"]).timestamp()
                        screen.broadcast_ms.append((arrived - at) * 1000)


async def run_screens(
    plan: argparse.Namespace, platform: Platform, cookie: str, codes: tuple
) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{platform.http_port}/ws/screen/"
    screens = [Screen(n) for n in range(plan.screens)]
    stop = asyncio.Event()
    ready = [asyncio.Event() for _ in screens]
    tasks = [asyncio.create_task(watch(s, url, cookie, stop, r)) for s, r in zip(screens, ready, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 60)
    print(f"{plan.screens} screens connected")
    seq_before = await asyncio.to_thread(district_seq)
    # The sensors publish from a process of their own: a paho client in a thread of this one took the
    # GIL from the screens' event loop and made frames look late.
    context = multiprocessing.get_context("fork")
    results: Any = context.Queue()
    publisher = context.Process(target=publish_process, args=(platform.mqtt_port, plan, *codes, results))
    publisher.start()
    others = {"bench (screens)": os.getpid()}
    cpu_before = await asyncio.to_thread(platform.cpu_seconds, others)
    cpu_at = time.monotonic()
    published: Published | None = None
    while published is None:
        try:
            published = await asyncio.to_thread(results.get, True, 1.0)
        except queue.Empty:
            if not publisher.is_alive():
                raise RuntimeError("the publisher process died") from None
        print(f"  frames on screen 0: {len(screens[0].frames)}", flush=True)
    # CPU used while the sensors published, as a share of one core, by process.
    cpu_after = await asyncio.to_thread(platform.cpu_seconds, others)
    elapsed = time.monotonic() - cpu_at
    cpu_after["publisher"] = published.cpu_seconds
    cpu_after["rest of the machine (Redis, other users)"] = cpu_after["whole machine"] - sum(
        v for k, v in cpu_after.items() if k != "whole machine"
    )
    cpu_before["rest of the machine (Redis, other users)"] = cpu_before["whole machine"] - sum(
        v for k, v in cpu_before.items() if k != "whole machine"
    )
    cpu_share = {
        name: round((cpu_after[name] - cpu_before.get(name, 0.0)) / elapsed, 3) for name in cpu_after
    }
    publisher.join(30)
    # Drain: the pipeline idle and no message numbered for 5 s.
    last, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + plan.drain_timeout
    quiet = False
    while time.monotonic() < deadline:
        busy = await asyncio.to_thread(pipeline_busy)
        seq = await asyncio.to_thread(district_seq)
        if seq != last:
            last, quiet_since = seq, time.monotonic()
        if not any(busy.values()) and time.monotonic() - quiet_since > 5:
            quiet = True
            break
        await asyncio.sleep(1)
    drained = time.time()
    last_seq = await asyncio.to_thread(district_seq)
    await asyncio.sleep(2)  # what was numbered up to last_seq reaches the screens
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    result = report(plan, screens, published, last_seq - seq_before, drained, last_seq)
    # Still flowing at the end (drain timeout): messages numbered after last_seq may count as received.
    result["quiet_at_end"] = quiet
    result["cpu_cores_while_publishing"] = cpu_share
    if not quiet:
        result["dropped_total"] = None  # messages numbered after last_seq arrived meanwhile: not comparable
    result["backlog_at_end"] = await asyncio.to_thread(pipeline_busy)
    result["steady_alarm_stages"] = await asyncio.to_thread(stage_times, platform.stamps, screens, published)
    return result


def report(plan: argparse.Namespace, screens: list[Screen], published: Published, sent: int,
           drained: float, last_seq: int) -> dict[str, Any]:  # fmt: skip
    steady: list[float] = []
    storm: list[float] = []
    missing = 0
    for screen in screens:
        for code, at in published.alarm_at.items():
            arrived = screen.raised.get(code)
            if arrived is None:
                missing += 1
                continue
            (steady if code in published.steady_codes else storm).append((arrived - at) * 1000)
    busiest = [most_in_one_second([sent_at for _arrived, sent_at in s.frames]) for s in screens]
    storm_busiest = [
        most_in_one_second([t for _a, t in s.frames if published.storm_started <= t <= drained])
        for s in screens
    ]
    arrived_busiest = max(most_in_one_second([arrived for arrived, _t in s.frames]) for s in screens)

    def stats(values: list[float]) -> dict[str, float | None]:
        return {
            "n": len(values),
            "p50_ms": percentile(values, 0.50),
            "p95_ms": percentile(values, 0.95),
            "p99_ms": percentile(values, 0.99),
            "max_ms": max(values) if values else None,
            "mean_ms": statistics.fmean(values) if values else None,
        }

    return {
        "screens": plan.screens,
        "listener_batch_wait_ms": plan.batch_wait_ms,
        "celery_concurrency": plan.workers,
        "split_workers": plan.split_workers,
        "rate": plan.rate,
        "seconds": plan.seconds,
        "alarms_per_second": plan.alarms_per_second,
        "storm_alarms": plan.storm,
        "messages_published": published.messages,
        "publish_seconds": round(published.finished - published.started, 1),
        "drained_after_publish_s": round(drained - published.finished, 1),
        "realtime_messages_sent": sent,
        "received_per_screen_min": min(s.received for s in screens),
        "received_per_screen_max": max(s.received for s in screens),
        # Each screen should receive every message numbered after it joined, up to the last one: exact
        # only when nothing flows at the end (quiet_at_end); the gap detection (resync frames) is
        # exact either way, every missing sequence number is found within GAP_GRACE + TAIL_CHECK.
        "dropped_total": sum((last_seq - s.first_seq) - s.received for s in screens),
        "resync_frames": sum(s.resyncs for s in screens),
        "alarm_frames_missing": missing,
        "steady_alarm_to_frame": stats(steady),
        # From the worker's broadcast_on_commit call (before its commit) to the frame on the screen: the
        # realtime path alone (commit, Redis, daphne, coalescing window, WebSocket), steady and storm.
        "broadcast_to_frame": stats([ms for s in screens for ms in s.broadcast_ms]),
        "storm_alarm_to_frame": stats(storm),
        # Server send (the frame's `t`, in daphne) to arrival in this process: the WebSocket and the
        # screens' client. A tail here is the client falling behind, not the platform.
        "send_to_arrival": stats([(arrived - sent) * 1000 for s in screens for arrived, sent in s.frames]),
        "max_frames_in_any_second_server_time": max(busiest),
        "max_frames_in_any_second_during_storm": max(storm_busiest),
        "max_frames_in_any_second_arrival_time": arrived_busiest,
        "frames_per_screen_mean": statistics.fmean(len(s.frames) for s in screens),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1000, help="MQTT messages per second")
    parser.add_argument("--seconds", type=float, default=60, help="length of the steady phase")
    parser.add_argument("--alarms-per-second", type=float, default=10, help="smoke alarms within the rate")
    parser.add_argument("--storm", type=int, default=3000, help="smoke alarms in the storm after it")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker concurrency")
    parser.add_argument(
        "--batch-wait-ms", type=int, default=50, help="mqtt_listen --batch-wait-ms (its default)"
    )
    parser.add_argument("--split-workers", action="store_true",
                        help="one worker for the ingest queue, another (-c 1) for cases, notify, reports")  # fmt: skip
    parser.add_argument("--drain-timeout", type=float, default=300, help="longest wait for a quiet pipeline")
    plan = parser.parse_args()

    workdir = ROOT / "bench" / "results" / f"screen_fanout-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    workdir.mkdir(parents=True, exist_ok=True)
    platform = Platform(
        workdir, workers=plan.workers, batch_wait_ms=plan.batch_wait_ms, split=plan.split_workers
    )
    print(f"scratch database {DB_NAME}, Redis {REDIS_URL}, logs in {workdir}")
    platform.create_database()
    from datetime import timedelta

    from django.utils import timezone

    from devices.models import SensorPoint

    now = timezone.now()
    SensorPoint.objects.update(last_seen_at=now, offline_after=now + timedelta(hours=2))
    alarms = int(plan.alarms_per_second * plan.seconds) + plan.storm
    codes = choose_points(alarms)
    cookie = platform.session_cookie()
    platform.start_all()
    try:
        result = asyncio.run(run_screens(plan, platform, cookie, codes))
    finally:
        platform.stop_all()
    result["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = workdir.with_suffix(".json")
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print("steady alarms, step by step (ms):      n      p50      p95      p99      max")
    for name, row in result["steady_alarm_stages"]["steps_ms"].items():
        print(f"  {name:<35}" + "".join(f"{'-' if v is None else v:>9}" for v in row.values()))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
