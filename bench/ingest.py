"""Ingest benchmark: MQTT ingest through the production path, against the bare pipeline.

    .venv/bin/python bench/ingest.py [--duration 600] [--rate 3000] [--baseline-seconds 60]
                                     [--capacity-seconds 60] [--no-auto-ack-baseline]

Starts its own Mosquitto (deploy/mosquitto/mosquitto.conf sizes, anonymous, on a free port), a scratch
PostgreSQL database (dropped and created), `mqtt_listen` and a Celery worker, then:

1. baseline: the bare version of the production pipeline with the same delivery guarantee. Stock paho
   with the listener's session settings (MQTT 5, fixed client id, `clean_start=False` with a session
   expiry, the same Receive Maximum, a shared subscription, `manual_ack`), batches bounded by the same
   `--batch-size` and `--batch-wait-ms`, each COPYed as raw payloads into a table and committed, and
   only then PUBACKed; no parsing, no inbox, no Celery. Publishers as fast as it stores (at most WINDOW
   messages ahead of it). The most this box does with this broker, database and guarantee;
2. the old baseline (until 2026-11-30; skip with --no-auto-ack-baseline): the same but paho's automatic
   PUBACK on receipt, before the COPY, and a COPY every 20 ms. Faster, but a crash loses what it holds
   in memory, so it is not comparable to a path that never loses a message; printed for reference;
3. production: publishers at `--rate` messages/s for `--duration` seconds → listener (inbox, PUBACK
   after commit) → Celery `process_inbox` → readings, rules, alarms (a few smoke alarms open cases):
   the sustained target (throughput, p99, messages per task, lost and duplicated);
4. capacity (`--capacity-seconds`, after the production run so its backlog and vacuum do not disturb
   that run's latencies): the same publishers as fast as the production path takes them (at
   most WINDOW messages ahead of what it has processed) through the same path. Its processed msg/s
   ÷ the baseline's is **the ratio** (issue 3: ≥ 0.7): both are the most the box does with the same
   publishers, broker, database and delivery guarantee.

The publishers are the load generator, not the product: bench/mqttpub.py (raw socket, QoS 1, many
PUBLISH packets per send, every PUBACK counted) costs a tenth of a paho publisher's CPU per message.
Each message carries its publish time (`ts`), from which the latencies are measured.

It prints throughput, publish → processed latency (p50/p95/p99), messages per Celery task, lost and
duplicated messages, CPU µs per message by process (`cpu_us_per_message`, comparable when the box is
busy; throughput is not; PostgreSQL is the whole server), the cores busy on average in each phase
(`busy_cores`: a phase that leaves a core idle is bound by one process, not by the box) and the peak
memory of each process; and writes bench/results/ingest-*.json.
Figures go to docs/performance.md with the date and the machine.
"""

import argparse
import io
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DB_NAME = os.environ.get("BENCH_DB", "dcc_bench_ingest")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
WINDOW = 20_000  # messages the publishers may be ahead of the receiver, when they go as fast as it takes them


def box_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, every core: what a phase leaves idle shows
    whether it was bound by the box's cores or by one process."""
    import psutil

    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    total = sum(times)
    return total - idle, total


def busy_cores(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Cores busy on average between two box_cpu() readings (2.0: both cores of this box, all the time)."""
    busy, total = after[0] - before[0], after[1] - before[1]
    return round(busy / total * (os.cpu_count() or 1), 2) if total else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing on port {port}")


class Bench:
    """The processes and the scratch database of one run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.mqtt_port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.stamps = workdir / "stamps"  # command_center.stamps: one file per process of the platform
        self.peak_rss: dict[str, float] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}",
            "REDIS_URL": REDIS_URL,
            "MQTT_URL": f"mqtt://127.0.0.1:{self.mqtt_port}",
            "SECRET_KEY": "bench-only-not-secret",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "PIPELINE_STAMPS": str(self.stamps),
        }
        os.environ.update({k: self.env[k] for k in ("DATABASE_URL", "REDIS_URL", "MQTT_URL", "SECRET_KEY")})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "command_center.settings")

    # setup ---------------------------------------------------------------------------------------

    def create_database(self) -> None:
        import psycopg2

        admin = psycopg2.connect(PG_ADMIN_URL)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {DB_NAME}")
        admin.close()
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        subprocess.run([PYTHON, "manage.py", "seed_demo"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        import django

        django.setup()
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # this run's own Redis database only

    def add_points(self, prefix: str, count: int, scene_code: str = "smoke") -> list[str]:
        """`count` points spread over the demo compounds (inserted in bulk, no credentials)."""
        from django.db import connection
        from django.utils import timezone
        from psycopg2.extras import execute_values

        from devices.models import Scene
        from grids.models import Compound

        scene = Scene.objects.get(code=scene_code)
        compounds = list(Compound.objects.values_list("id", "grid_id", "centre_lat", "centre_lng"))
        rng = random.Random(7)
        codes = [f"{prefix}{n:06d}" for n in range(count)]
        rows = []
        for code in codes:
            compound_id, grid_id, lat, lng = rng.choice(compounds)
            rows.append((code, scene.id, scene.sensor_type, lat, lng, grid_id, compound_id, "active", 300, "",
                         "", timezone.now()))  # fmt: skip
        with connection.cursor() as cursor:
            execute_values(
                cursor.cursor,
                "INSERT INTO devices_sensorpoint (code, scene_id, sensor_type, lat, lng, grid_id, compound_id, status,"
                " heartbeat_interval, acoustic_zone, mqtt_password_hash, created_at) VALUES %s",
                rows,
                page_size=5000,
            )
        return codes

    def start_broker(self) -> None:
        conf = (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text()
        conf = conf.replace("listener 1883 0.0.0.0", f"listener {self.mqtt_port} 127.0.0.1")
        conf = conf.replace("allow_anonymous false", "allow_anonymous true")
        conf = "\n".join(
            line for line in conf.splitlines() if not line.startswith(("password_file", "acl_file"))
        )
        conf = conf.replace("persistence true", "persistence false")  # a scratch broker
        path = self.workdir / "mosquitto.conf"
        path.write_text(conf + "\n")
        self.start("mosquitto", [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(path)])
        wait_for_port(self.mqtt_port)

    def start(self, name: str, args: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("a")
        self.procs[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start_platform(self, *, listeners: int, workers: int, batch_size: int, batch_wait_ms: int) -> None:
        celery = shutil.which("celery", path=str(Path(PYTHON).parent)) or "celery"
        self.start("worker", [celery, "-A", "command_center", "worker", "-Q", "ingest,cases,notify,reports",
                              "-c", str(workers), "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
                              "--prefetch-multiplier", "1"])  # fmt: skip
        for n in range(listeners):
            self.start(f"listener-{n}", [PYTHON, "manage.py", "mqtt_listen", "--client-id", f"bench-{n}",
                                         "--batch-size", str(batch_size), "--batch-wait-ms", str(batch_wait_ms)])  # fmt: skip
        time.sleep(5)

    def sample_memory(self) -> None:
        import psutil

        for name, proc in self.procs.items():
            try:
                parent = psutil.Process(proc.pid)
                rss = sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
            except psutil.Error:
                continue
            self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by each process of the platform with its children,
        and by the whole PostgreSQL server (every backend, autovacuum, WAL writer and checkpointer; the
        postmaster's children times keep those that have exited, so none is missed). Until 2026-12-03
        only the scratch database's backends alive at the reading: that missed the background work the
        writes cause and any backend that had ended."""
        import psutil

        def used(process: psutil.Process) -> float:
            try:
                times = process.cpu_times()
            except psutil.Error:
                return 0.0
            return times.user + times.system

        seconds: dict[str, float] = {}
        for name, proc in self.procs.items():
            try:
                parent = psutil.Process(proc.pid)
                family = [parent, *parent.children(recursive=True)]
            except psutil.Error:
                continue
            seconds[name.split("-")[0]] = seconds.get(name.split("-")[0], 0.0) + sum(map(used, family))
        postmaster = psutil.Process(db_scalar("SELECT pg_backend_pid()"))  # then up to the postmaster
        while postmaster.parent() is not None and postmaster.parent().name() == postmaster.name():
            postmaster = postmaster.parent()
        exited = postmaster.cpu_times()
        seconds["postgresql"] = (
            exited.children_user + exited.children_system + used(postmaster)
            + sum(map(used, postmaster.children()))
        )  # fmt: skip
        return seconds

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


# publishers ----------------------------------------------------------------------------------------


def publish_process(port: int, topic_prefix: str, codes: list[str], rate: float, seconds: float, tag: str,
                    alarm_ratio: float, counter: Any, done: Any, limit: int = 0,
                    consumed: Any = None, window: int = 0) -> None:  # fmt: skip
    """One publisher process (bench/mqttpub.py, QoS 1): `rate` messages/s (0: as fast as it goes) for
    `seconds`, or until `limit` messages are sent when a limit is given. With `consumed` (a shared count
    of messages the receiver has stored), all publishers together stay at most `window` messages ahead.

    Puts (sent, acknowledged by the broker, CPU seconds) on `done` once every PUBACK is in (or 120 s)."""
    from mqttpub import Publisher

    publisher = Publisher("127.0.0.1", port, client_id=f"bench-pub-{tag}")
    topics = [Publisher.topic(f"{topic_prefix}/{code}/data") for code in codes]
    rng = random.Random(tag)
    chunk_max = 200  # messages per sendall
    started = time.monotonic()
    n = 0
    while True:
        elapsed = time.monotonic() - started
        if (limit and n >= limit) or (not limit and elapsed >= seconds):
            break
        due = chunk_max if not rate else min(chunk_max, int(rate * elapsed) + 1 - n)
        if limit:
            due = min(due, limit - n)
        if consumed is not None and counter.value - consumed.value > window:
            due = 0
        if due <= 0:
            publisher.poll()
            time.sleep(0.005)
            continue
        batch = []
        for k in range(n, n + due):
            value = 1 if rng.random() < alarm_ratio else 0
            # Its own clock reading, as before: the duplicate check counts readings by (point, ts).
            ts = datetime.now(UTC).isoformat()
            body = f'{{"id":"{tag}-{k}","ts":"{ts}","type":"smoke","value":{value},"battery":90}}'
            batch.append((topics[k % len(topics)], body.encode()))
        publisher.send(batch)
        n += due
        with counter.get_lock():
            counter.value += due
    publisher.finish(120)
    times = os.times()
    done.put((publisher.sent, publisher.acked, times.user + times.system))


def run_publishers(port: int, topic_prefix: str, codes: list[str], *, rate: float, seconds: float,
                   publishers: int, alarm_ratio: float, label: str, limit: int = 0,
                   consumed: Any = None, window: int = 0) -> tuple[int, Any]:  # fmt: skip
    counter = multiprocessing.Value("q", 0)
    done: Any = multiprocessing.Queue()
    share = [codes[i::publishers] for i in range(publishers)]
    procs = [
        multiprocessing.Process(
            target=publish_process,
            args=(
                port,
                topic_prefix,
                share[i],
                rate / publishers,
                seconds,
                f"{label}{i}",
                alarm_ratio,
                counter,
                done,
                limit // publishers,
                consumed,
                window,
            ),
            daemon=True,
        )
        for i in range(publishers)
    ]
    for proc in procs:
        proc.start()
    return len(procs), (procs, counter, done, {})


def join_publishers(handle: Any) -> int:
    """Wait for the publishers; the total they sent. Their CPU seconds and the messages the broker
    acknowledged go to handle[3]; an unacknowledged one is reported (and counted as sent: the loss check
    then sees it)."""
    procs, _counter, done, extras = handle
    results = [done.get(timeout=300) for _ in procs]
    sent = sum(n for n, _, _ in results)
    acked = sum(n for _, n, _ in results)
    if acked != sent:
        print(f"  WARNING: the broker acknowledged {acked} of {sent} messages", flush=True)
    extras.update(cpu_seconds=sum(seconds for _, _, seconds in results), acked=acked)
    for proc in procs:
        proc.join(30)
    return sent


# baseline: bare paho subscriber → COPY ---------------------------------------------------------------


def baseline_consumer(port: int, dsn: str, stop_file: str, result_file: str, consumed: Any, *,
                      auto_ack: bool, batch_size: int, batch_wait: float) -> None:  # fmt: skip
    """The bare pipeline: stock paho, the payloads COPYed as they are, nothing else.

    `auto_ack=False` (the baseline): the production listener's delivery guarantee and session settings
    (IngestListener): MQTT 5, a fixed client id, `clean_start=False` with a session expiry, the same
    Receive Maximum, the shared subscription, batches bounded by `batch_size` and `batch_wait` (the first
    message of a batch waits at most that long), and PUBACK only after the batch's COPY is committed.
    No parsing, no inbox, no Celery. `auto_ack=True` (the bench's baseline until 2026-11-30): paho's
    defaults (PUBACK on receipt, before anything is stored: a crash loses what is in memory), a COPY
    every 20 ms of whatever has arrived."""
    import paho.mqtt.client as mqtt
    import psycopg2
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from devices.mqtt.listener import IngestListener

    pending: list[tuple[str, bytes, int]] = []
    cond = threading.Condition()
    first_at = [0.0]
    connect_kwargs: dict[str, Any] = {}
    if auto_ack:
        client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-baseline-auto",
                             protocol=MQTTProtocolVersion.MQTTv5)  # fmt: skip
        topic = "bench/+/data"
    else:
        defaults = IngestListener.__init__.__kwdefaults__ or {}
        client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-baseline",
                             protocol=MQTTProtocolVersion.MQTTv5, manual_ack=True)  # fmt: skip
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = defaults["session_expiry"]
        properties.ReceiveMaximum = defaults["receive_maximum"]
        topic = "$share/bench/bench/+/data"
        connect_kwargs = {"clean_start": False, "properties": properties}

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        with cond:
            if not pending:
                first_at[0] = time.monotonic()
            pending.append((message.topic, message.payload, message.mid))
            if len(pending) >= batch_size:
                cond.notify()

    def next_batch() -> list[tuple[str, bytes, int]]:
        with cond:
            if auto_ack:
                cond.wait(0.02)
            else:
                while not os.path.exists(stop_file):
                    if pending:
                        remaining = first_at[0] + batch_wait - time.monotonic()
                        if len(pending) >= batch_size or remaining <= 0:
                            break
                        cond.wait(remaining)
                    else:
                        cond.wait(0.1)
            size = len(pending) if auto_ack else batch_size
            batch = pending[:size]
            del pending[:size]
            if pending:
                first_at[0] = time.monotonic()
            return batch

    client.on_message = on_message
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    client.connect("127.0.0.1", port, **connect_kwargs)
    client.loop_start()
    db = psycopg2.connect(dsn)
    with db.cursor() as cursor:
        # Logged, as the inbox is: an unlogged table is emptied after a PostgreSQL crash, which would lose
        # messages already acknowledged (unlogged until 2026-12-03: its commits wrote no WAL).
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_baseline (topic text, payload text)")
    db.commit()
    stored, first, last = 0, None, None
    while not os.path.exists(stop_file):
        batch = next_batch()
        if not batch:
            continue
        buffer = io.StringIO()
        for topic_name, payload, _mid in batch:
            text = payload.decode().replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
            buffer.write(f"{topic_name}\t{text}\n")
        buffer.seek(0)
        with db.cursor() as cursor:
            cursor.copy_expert("COPY bench_baseline (topic, payload) FROM STDIN", buffer)
        db.commit()
        if not auto_ack:
            for _topic, _payload, mid in batch:
                client.ack(mid, 1)
        now = time.monotonic()
        first = first or now
        last = now
        stored += len(batch)
        with consumed.get_lock():
            consumed.value = stored
    if auto_ack:
        client.disconnect()
    else:
        # End the persistent session, or the broker keeps queueing the next phase's messages for it.
        ending = Properties(PacketTypes.DISCONNECT)
        ending.SessionExpiryInterval = 0
        client.disconnect(properties=ending)
    client.loop_stop()
    times = os.times()
    Path(result_file).write_text(json.dumps({"stored": stored, "seconds": (last or 0) - (first or 0),
                                             "cpu_seconds": times.user + times.system}))  # fmt: skip


def run_baseline(bench: Bench, codes: list[str], seconds: float, publishers: int, *, auto_ack: bool,
                 batch_size: int, batch_wait: float) -> dict[str, Any]:  # fmt: skip
    """As fast as the bare subscriber stores: the publishers stay at most WINDOW messages ahead
    of it (unpaced, the cheap publishers would only fill the broker's queue and starve the subscriber)."""
    name = "auto" if auto_ack else "manual"
    stop_file, result_file = (
        str(bench.workdir / f"baseline-{name}.stop"),
        str(bench.workdir / f"baseline-{name}.json"),
    )
    consumed = multiprocessing.Value("q", 0)
    consumer = multiprocessing.Process(
        target=baseline_consumer,
        args=(bench.mqtt_port, bench.env["DATABASE_URL"], stop_file, result_file, consumed),
        kwargs={"auto_ack": auto_ack, "batch_size": batch_size, "batch_wait": batch_wait},
        daemon=True,
    )
    consumer.start()
    time.sleep(2)
    cpu_before, box_before = bench.cpu_seconds(), box_cpu()
    label = "ba" if auto_ack else "bm"
    _, handle = run_publishers(bench.mqtt_port, "bench", codes, rate=0, seconds=seconds, publishers=publishers,
                               alarm_ratio=0.0, label=label, consumed=consumed, window=WINDOW)  # fmt: skip
    published = join_publishers(handle)
    deadline = time.monotonic() + 30
    while consumed.value < published and time.monotonic() < deadline:
        time.sleep(0.1)
    cpu_after, box_after = bench.cpu_seconds(), box_cpu()
    Path(stop_file).touch()
    consumer.join(60)
    result = json.loads(Path(result_file).read_text())
    rate = result["stored"] / max(result["seconds"], 1e-9)
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in ("mosquitto", "postgresql")}
    cpu.update(subscriber=result["cpu_seconds"], publishers=handle[3]["cpu_seconds"])
    stored = max(result["stored"], 1)
    return {
        "delivery": "PUBACK on receipt (paho defaults)" if auto_ack else "PUBACK after the COPY commit",
        "published": published,
        "stored": result["stored"],
        "messages_per_second": round(rate),
        "cpu_us_per_message": {name: round(value * 1e6 / stored) for name, value in cpu.items()},
        "busy_cores": busy_cores(box_before, box_after),
    }


# production path ----------------------------------------------------------------------------------


def db_rows(sql: str, params: tuple = ()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def db_scalar(sql: str, params: tuple = ()) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


class ProcessedCounter(threading.Thread):
    """Messages processed end to end since it started, in `consumed`, every 100 ms: the sum of the
    `task_done` stamps that `process_inbox` writes (command_center.stamps, one file per worker process).
    The backlog of each phase, and the capacity phase's flow control.

    Until 2026-12-03 it asked PostgreSQL every 100 ms (the inbox's highest id minus a count of the
    unprocessed rows): with a backlog near the window that count read ~20,000 rows ten times a second,
    14 % of a core charged to the production path it was measuring."""

    def __init__(self, prefix: Path) -> None:
        super().__init__(daemon=True)
        self.prefix = prefix
        self.consumed = multiprocessing.Value("q", 0)
        self.stop = threading.Event()
        self.offsets = {path: path.stat().st_size for path in self.files()}  # what came before: not counted
        self.partial: dict[Path, bytes] = {}

    def files(self) -> list[Path]:
        return list(self.prefix.parent.glob(f"{self.prefix.name}.*"))

    def poll(self) -> int:
        done = 0
        for path in self.files():
            with path.open("rb") as handle:
                handle.seek(self.offsets.get(path, 0))
                data = self.partial.pop(path, b"") + handle.read()
                self.offsets[path] = handle.tell()
            lines = data.split(b"\n")
            if lines[-1]:
                self.partial[path] = lines[-1]  # a line being written: the rest comes next time
            for line in lines[:-1]:
                if line.startswith(b"task_done "):
                    done += int(line.split()[2])
        return done

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.consumed.value += self.poll()


def run_production(bench: Bench, codes: list[str], *, rate: float, seconds: float, publishers: int,
                   alarm_ratio: float, label: str = "p", drain_timeout: float = 600,
                   extra: Any = None, window: int = 0) -> dict[str, Any]:  # fmt: skip
    """Publish at `rate` for `seconds` through the production path; wait for the backlog to drain.

    With a `window` (and `rate` 0) the publishers go as fast as the production path takes them: at most
    `window` messages ahead of what it has processed (the capacity phase)."""
    from django.utils import timezone

    start_wall = timezone.now()
    # What has been processed, from the workers' stamps: the backlog without a query (no index finds
    # unprocessed inbox rows, models.Inbox) and the capacity phase's flow control.
    counter = ProcessedCounter(bench.stamps)
    counter.start()
    cpu_before, box_before = bench.cpu_seconds(), box_cpu()
    _, handle = run_publishers(bench.mqtt_port, "sensors", codes, rate=rate, seconds=seconds,
                               publishers=publishers, alarm_ratio=alarm_ratio, label=label,
                               consumed=counter.consumed if window else None, window=window)  # fmt: skip
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(5)
        bench.sample_memory()
        backlog = max(handle[1].value - counter.consumed.value, 0)  # published, not yet processed
        samples.append({"t": round(time.monotonic() - started), "backlog": backlog,
                        "published": handle[1].value})  # fmt: skip
        print(
            f"  t={samples[-1]['t']:>4}s published={samples[-1]['published']:>9} backlog={backlog}",
            flush=True,
        )
        if extra is not None:
            extra(time.monotonic() - started)
    published = join_publishers(handle)
    publish_end = time.monotonic()
    prefix = f"{label}%"
    deadline = time.monotonic() + drain_timeout
    while time.monotonic() < deadline:
        bench.sample_memory()
        # Count the stored rows (a full scan) only once the stamps say everything published is processed.
        if counter.consumed.value >= published:
            stored = db_scalar("SELECT count(*) FROM devices_inbox WHERE msg_id LIKE %s", (prefix,))
            if stored >= published:
                break
        time.sleep(2)
    drained_after = time.monotonic() - publish_end
    counter.stop.set()
    counter.join(10)
    cpu_after, box_after = bench.cpu_seconds(), box_cpu()
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    cpu["publishers"] = handle[3]["cpu_seconds"]
    stored = db_scalar("SELECT count(*) FROM devices_inbox WHERE msg_id LIKE %s", (prefix,))
    processed = db_scalar(
        "SELECT count(*) FROM devices_inbox WHERE msg_id LIKE %s AND processed_at IS NOT NULL", (prefix,)
    )
    readings = db_scalar("SELECT count(*) FROM devices_reading WHERE ts >= %s", (start_wall,))
    twice = db_scalar(
        "SELECT count(*) - count(DISTINCT (point_id, ts)) FROM devices_reading WHERE ts >= %s", (start_wall,)
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP"
            " (ORDER BY extract(epoch FROM processed_at - ts)),"
            " percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - ts)),"
            " count(DISTINCT processed_at), min(ts), max(processed_at)"
            " FROM devices_inbox WHERE msg_id LIKE %s",
            (prefix,),
        )
        processed_pct, received_pct, tasks, first_ts, last_done = cursor.fetchone()
    span = (last_done - first_ts).total_seconds() if first_ts and last_done else 0
    return {
        "target_rate": rate,
        "seconds": seconds,
        "published": published,
        "acked_by_broker": handle[3]["acked"],
        "stored": stored,
        "processed": processed,
        "readings": readings,
        "lost": published - stored,
        "duplicated": twice,
        "processed_per_second": round(processed / span) if span else 0,
        "drained_after_publish_s": round(drained_after, 1),
        "publish_to_processed_s": {"p50": processed_pct[0], "p95": processed_pct[1], "p99": processed_pct[2]},
        "publish_to_listener_s": {"p50": received_pct[0], "p95": received_pct[1], "p99": received_pct[2]},
        "celery_tasks": tasks,
        "messages_per_task": round(processed / tasks, 1) if tasks else 0,
        "max_backlog": max((s["backlog"] for s in samples), default=0),
        # What each part costs per message, whatever else the box does: CPU µs / stored message.
        "cpu_us_per_message": {name: round(value * 1e6 / max(stored, 1)) for name, value in cpu.items()},
        "busy_cores": busy_cores(box_before, box_after),  # publishing and draining
        "samples": samples,
    }


def run_csv_import(bench: Bench, count: int) -> dict[str, Any]:
    """Register `count` points from a CSV with grid, compound and building assignment (all or nothing)."""
    import csv

    from devices.models import SensorPoint
    from devices.registry import import_points_csv
    from grids.models import Grid

    boxes = [g["coordinates"][0] for g in Grid.objects.values_list("boundary", flat=True)]
    lngs = [x for ring in boxes for x, _ in ring]
    lats = [y for ring in boxes for _, y in ring]
    rng = random.Random(11)
    path = bench.workdir / "points.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "type", "lat", "lng", "installed_on"])
        for n in range(count):
            lat, lng = rng.uniform(min(lats), max(lats)), rng.uniform(min(lngs), max(lngs))
            writer.writerow([f"CSV{n:07d}", "smoke", f"{lat:.7f}", f"{lng:.7f}", "2026-03-01"])
    before = SensorPoint.objects.count()
    started = time.perf_counter()
    with path.open(newline="") as handle:
        imported = import_points_csv(handle)
    seconds = time.perf_counter() - started
    placed = SensorPoint.objects.filter(code__startswith="CSV", grid__isnull=False).count()
    return {
        "points": imported,
        "seconds": round(seconds, 1),
        "points_per_second": round(imported / seconds),
        "placed_in_a_grid": placed,
        "registry_before": before,
    }


def machine() -> dict[str, Any]:
    import platform

    return {
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=600, help="production phase, seconds")
    parser.add_argument("--rate", type=float, default=3000, help="production publish rate, messages/s")
    parser.add_argument("--baseline-seconds", type=float, default=60)
    parser.add_argument("--capacity-seconds", type=float, default=60,
                        help="production path as fast as it takes messages (0: skip); the ratio's numerator")  # fmt: skip
    parser.add_argument("--no-auto-ack-baseline", dest="auto_ack_baseline", action="store_false",
                        help="skip the old baseline (PUBACK on receipt), printed for comparison only")  # fmt: skip
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--listeners", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker concurrency")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--batch-wait-ms", type=int, default=50, help="mqtt_listen --batch-wait-ms (its default)"
    )
    parser.add_argument("--alarm-ratio", type=float, default=0.0005, help="share of smoke=1 messages")
    parser.add_argument("--csv-import", type=int, default=0, metavar="N",
                        help="only benchmark registering N points from CSV (issue 3: 400,000 in ≤ 60 s)")  # fmt: skip
    args = parser.parse_args()
    if args.csv_import:
        bench = Bench(Path(tempfile.mkdtemp(prefix="bench-csv-")))
        bench.create_database()
        figures = {"started": datetime.now(UTC).isoformat(), "machine": machine(),
                   "csv_import": run_csv_import(bench, args.csv_import)}  # fmt: skip
        print(json.dumps(figures, indent=2, default=str))
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"csv-import-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(figures, indent=2))
        return

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `finally` stops the child processes
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    bench = Bench(workdir)
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "args": vars(args),
        "machine": machine(),
    }
    try:
        print(f"setup: database {DB_NAME}, Mosquitto on {bench.mqtt_port}, logs in {workdir}", flush=True)
        bench.create_database()
        codes = bench.add_points("BI", args.points)
        bench.start_broker()
        batch = {"batch_size": args.batch_size, "batch_wait": args.batch_wait_ms / 1000}
        for auto_ack in [False, True] if args.auto_ack_baseline else [False]:
            key = "baseline_auto_ack" if auto_ack else "baseline"
            print(f"{key}: bare paho → COPY ({'PUBACK on receipt' if auto_ack else 'PUBACK after commit'}),"
                  f" publishers as fast as it takes them for {args.baseline_seconds:.0f} s", flush=True)  # fmt: skip
            result[key] = run_baseline(bench, codes, args.baseline_seconds, args.publishers, auto_ack=auto_ack,
                                       **batch)  # fmt: skip
            print(f"  {result[key]}", flush=True)
        bench.start_platform(listeners=args.listeners, workers=args.workers, batch_size=args.batch_size,
                             batch_wait_ms=args.batch_wait_ms)  # fmt: skip
        print(f"production: {args.rate:.0f} msg/s for {args.duration:.0f} s through listener → inbox → Celery",
              flush=True)  # fmt: skip
        result["production"] = run_production(bench, codes, rate=args.rate, seconds=args.duration,
                                              publishers=args.publishers, alarm_ratio=args.alarm_ratio)  # fmt: skip
        if args.capacity_seconds:
            print(f"capacity: publishers as fast as listener → inbox → Celery takes them for"
                  f" {args.capacity_seconds:.0f} s", flush=True)  # fmt: skip
            result["capacity"] = run_production(bench, codes, rate=0, seconds=args.capacity_seconds,
                                                publishers=args.publishers, alarm_ratio=args.alarm_ratio,
                                                label="c", window=WINDOW)  # fmt: skip
            brief = {k: v for k, v in result["capacity"].items() if k != "samples"}
            print(f"  {json.dumps(brief, default=str)}", flush=True)
        result["peak_rss_mb"] = {k: round(v) for k, v in bench.peak_rss.items()}
    finally:
        bench.stop_all()
    production, baseline = result["production"], result["baseline"]
    capacity = result.get("capacity", {}).get("processed_per_second", 0)
    ratio = capacity / baseline["messages_per_second"] if baseline["messages_per_second"] else 0
    result["ratio_to_baseline"] = round(ratio, 2)
    if "baseline_auto_ack" in result:
        auto = result["baseline_auto_ack"]["messages_per_second"]
        result["ratio_to_auto_ack_baseline"] = round(capacity / auto, 2) if auto else 0
    print(json.dumps({k: v for k, v in production.items() if k != "samples"}, indent=2, default=str))
    cores = os.cpu_count()
    print(f"baseline (PUBACK after commit) {baseline['messages_per_second']} msg/s"
          f" ({baseline['busy_cores']} of {cores} cores busy)"
          + (f", auto-ack baseline {result['baseline_auto_ack']['messages_per_second']} msg/s"
             if "baseline_auto_ack" in result else "")
          + f"; capacity {capacity} msg/s ({result.get('capacity', {}).get('busy_cores')} of {cores} cores busy,"
          f" {ratio:.2f} x the baseline)"
          + (f", {result['ratio_to_auto_ack_baseline']:.2f} x auto-ack" if "baseline_auto_ack" in result else "")
          + f"; at {args.rate:.0f}/s: {production['processed_per_second']} msg/s, p99 publish → processed "
          f"{production['publish_to_processed_s']['p99']:.3f} s; {production['messages_per_task']} messages per "
          f"task; lost {production['lost']}, duplicated {production['duplicated']}"
          + (f" (capacity phase: lost {result['capacity']['lost']}, duplicated {result['capacity']['duplicated']})"
             if "capacity" in result else "")
          + f"; peak RSS MB {result['peak_rss_mb']}")  # fmt: skip
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(
        json.dumps(result, indent=2, default=str)
    )


if __name__ == "__main__":
    main()
