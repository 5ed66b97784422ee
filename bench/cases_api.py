"""Case API benchmark: the first page of the case list and the case detail at 10,000 and 1.5 M cases.

    .venv/bin/python bench/cases_api.py [--cases 1500000] [--small 10000] [--duration 20] [--concurrency 4]
                                        [--reuse]

For each size, a scratch PostgreSQL database of its own (dcc_bench_cases_<size>; dropped and created
unless --reuse finds it loaded with that many cases), migrated, with the demo street (seed_demo: 6
communities, 18 grids, 137 compounds, people, the case catalogue); then:

1. seeds the cases and their timelines with COPY (587 a day: 7 years for 1.5 M, 17 days for 10 k; closed cases
   carry 7 events, open ones 2-5), indexes and foreign keys rebuilt after the load, ANALYZE;
2. starts gunicorn with two worker processes (`--workers 2`, sync) on that database;
3. drives it with wrk (Debian's `wrk`, one thread, `--concurrency` connections; a Python client cost about
   a millisecond of CPU per request on the same cores) as a dispatcher with a token:
   `GET /api/v1/cases/?status=closed&community=<c>&created_after=<30 days ago>` (the first page, newest
   first) and `GET /api/v1/cases/<random id>/` (detail with its timeline), each for `--duration` seconds
   after a warm-up.

It prints load rates, p50/p95/p99 and requests/s per endpoint and size, the CPU gunicorn and PostgreSQL
spent per request, the list's p95 ratio (1.5 M ÷ 10 k), and writes bench/results/cases-api-*.json.
The load generator shares the machine's cores with gunicorn and PostgreSQL: the figures are what one
box does with everything on it (and whatever else runs there: the load average is recorded).
"""

import argparse
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_PREFIX = os.environ.get("BENCH_DB", "dcc_bench_cases")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# The cache as deployed (Redis, shared by the workers: the API token cache lives there); emptied per run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-only-not-secret-" + "x" * 30
YEARS = 7
# Cases a day: 1.5 M in 7 years, about the district that dispatched 1.42 M in 7 years (DESIGN.md).
# Every size is seeded at this rate, so a page of the recent list does the same work and only the
# table's size differs: 1.5 M cases are 7 years of history, 10,000 the first 17 days.
DAILY = 1_500_000 / (365 * YEARS)


def db_name(size: int) -> str:
    return f"{DB_PREFIX}_{size}"


def env(size: int) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MQTT_URL")}
    values.update(
        DATABASE_URL=f"{PG}/{db_name(size)}",
        REDIS_URL=REDIS_URL,
        SECRET_KEY=SECRET,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_MANIFEST="0",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="command_center.settings",
    )
    return values


def manage(size: int, *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env(size), check=True, stdout=subprocess.DEVNULL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(size: int) -> None:
    admin = psycopg2.connect(f"{PG}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        name = db_name(size)
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def connect(size: int) -> Any:
    parts = urlsplit(PG)
    return psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname=db_name(size)
    )


def loaded_cases(size: int) -> int | None:
    """How many cases the size's database holds, or None when it is not there or not migrated."""
    try:
        conn = connect(size)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_case")
            return int(cursor.fetchone()[0])
    except psycopg2.Error:
        return None
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------ seeding


class Street:
    """What the demo street gives the generator: compounds with their grid, community and property company,
    leaf categories, grid workers, a dispatcher's token."""

    def __init__(self, conn: Any) -> None:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, c.grid_id, c.community_id, c.property_company_id, c.centre_lat, c.centre_lng, c.name "
                "FROM grids_compound c ORDER BY c.id"
            )
            self.compounds = cursor.fetchall()
            cursor.execute(
                "SELECT id, name, severity, clock_type FROM cases_category WHERE parent_id IS NOT NULL ORDER BY id"
            )
            self.categories = cursor.fetchall()
            cursor.execute("SELECT id FROM command_center_user WHERE role IN ('grid_worker', 'handler')")
            self.people = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id FROM command_center_user WHERE username = 'dispatcher'")
            self.dispatcher = cursor.fetchone()[0]
            cursor.execute("SELECT id FROM grids_community ORDER BY id")
            self.communities = [row[0] for row in cursor.fetchall()]
            cursor.execute("DELETE FROM authtoken_token WHERE user_id = %s", [self.dispatcher])
            self.token = "b" * 40
            cursor.execute(
                "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, now(), %s)",
                [self.token, self.dispatcher],
            )
        conn.commit()


CASE_COLUMNS = [
    "id", "source", "source_key", "sensor_code", "category_id", "title", "description", "address", "status",
    "status_before_suspend", "severity", "priority", "emergency", "lat", "lng", "grid_id", "community_id",
    "compound_id", "department_id", "assignee_id", "occurred_at", "created_at", "updated_at", "filed_at",
    "dispatched_at", "accepted_at", "handled_at", "verified_at", "closed_at", "stage_started_at", "deadline",
    "handle_deadline", "overdue", "ever_overdue", "suspended_seconds", "extension_reason", "extension_count",
    "rework_count", "return_count", "reopen_count", "alarm_count", "reject_reason", "evaluation",
    "satisfaction_comment", "version",
]  # fmt: skip
EVENT_COLUMNS = [
    "case_id", "action", "from_status", "to_status", "actor_id", "actor_role", "note", "data", "at",
    "time_used_seconds", "overdue",
]  # fmt: skip
PRIORITY = {"critical": 0, "major": 1, "minor": 2, "warning": 3}
LOOP = [("create", "", "discovered"), ("file", "discovered", "filed"), ("dispatch", "filed", "dispatched"),
        ("accept", "dispatched", "in_progress"), ("handle", "in_progress", "handled"),
        ("verify", "handled", "verified"), ("close", "verified", "closed")]  # fmt: skip
STEPS_BY_STATUS = {"discovered": 1, "filed": 2, "dispatched": 3, "in_progress": 4, "handled": 5, "closed": 7}
SOURCES = ["sensor"] * 6 + ["patrol"] * 2 + ["hotline", "resident"]


def _ts(moment: datetime) -> str:
    return moment.isoformat()


def case_rows(street: Street, first_id: int, count: int, total: int, now: datetime, rng: random.Random):  # type: ignore[no-untyped-def]
    """Rows for ids first_id.. first_id+count-1 of `total`, created evenly over seven years (newest last)."""
    span = timedelta(days=total / DAILY).total_seconds()
    recent = now - timedelta(days=30)
    for case_id in range(first_id, first_id + count):
        created = now - timedelta(seconds=span * (1 - case_id / total) + rng.random() * 60)
        compound = rng.choice(street.compounds)
        category = rng.choice(street.categories)
        if created < recent:
            status = rng.choices(["closed", "rejected", "merged"], [96, 3, 1])[0]
        else:
            status = rng.choices(["closed", "dispatched", "in_progress", "handled", "filed", "discovered"],
                                 [70, 10, 8, 5, 4, 3])[0]  # fmt: skip
        steps = 2 if status in ("rejected", "merged") else STEPS_BY_STATUS[status]
        times = [created + timedelta(minutes=rng.randint(1, 90) * n) for n in range(7)]
        open_ = status not in ("closed", "rejected", "merged")
        deadline = times[2] + timedelta(hours=4) if open_ else None
        assignee = rng.choice(street.people) if steps >= 3 else None
        source = rng.choice(SOURCES)
        yield (
            case_id, source, f"alarm:{case_id}" if source == "sensor" else "", f"P{case_id % 9165:05d}"
            if source == "sensor" else "", category[0], f"{category[1]} {compound[6]} {rng.randint(1, 30)}号楼",
            "", "", status, "", category[2], PRIORITY[category[2]], False,
            compound[4] + rng.uniform(-0.0005, 0.0005), compound[5] + rng.uniform(-0.0005, 0.0005),
            compound[1], compound[2], compound[0], compound[3] if steps >= 3 else None, assignee,
            _ts(created), _ts(created), _ts(times[steps - 1]), _ts(times[1]) if steps >= 2 else None,
            _ts(times[2]) if steps >= 3 else None, _ts(times[3]) if steps >= 4 else None,
            _ts(times[4]) if steps >= 5 else None, _ts(times[5]) if steps >= 6 else None,
            _ts(times[6]) if status == "closed" else None, _ts(times[steps - 1]),
            _ts(deadline) if deadline else None, _ts(deadline) if deadline else None,
            bool(deadline and deadline < now), False, 0, "", 0, 0, 0, 0, 1,
            "false_alarm" if status == "rejected" else "", "good" if status == "closed" else "", "", steps,
        )  # fmt: skip


def event_rows(cases: list[tuple], street: Street) -> Any:
    for row in cases:
        case_id, status, assignee, version = row[0], row[8], row[19], row[-1]
        created = datetime.fromisoformat(row[21])
        for n in range(version):
            action, source, target = LOOP[n]
            if status in ("rejected", "merged") and n == 1:
                action, target = ("reject", "rejected") if status == "rejected" else ("merge", "merged")
            actor, role = (None, "system") if n < 3 else (assignee, "grid_worker")
            yield (case_id, action, source, target, actor, role, "", "{}",
                   _ts(created + timedelta(minutes=17 * n)), 60 * 17 if n else 0, False)  # fmt: skip


def copy(conn: Any, table: str, columns: list[str], rows: Any) -> int:
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(r"\N" if value is None else str(value) for value in row))
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    with conn.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


def secondary_indexes(conn: Any, tables: list[str]) -> list[tuple[str, str]]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
            [tables],
        )
        return cursor.fetchall()


def seed_cases(conn: Any, street: Street, total: int, rng: random.Random) -> dict[str, float]:
    """Empty the case tables and load `total` cases with their events; returns timings."""
    tables = ["cases_case", "cases_caseevent"]
    started = time.monotonic()
    with conn.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cases_notificationattempt, cases_notification, cases_caseescalation, cases_casephoto, "
            "cases_caseevent, cases_case RESTART IDENTITY CASCADE"
        )
        indexes = secondary_indexes(conn, tables)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # Foreign keys off during the load: the rows are consistent by construction.
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    conn.commit()
    now = datetime.now(UTC)
    cases = events = 0
    chunk = 100_000
    for first in range(1, total + 1, chunk):
        rows = list(case_rows(street, first, min(chunk, total - first + 1), total, now, rng))
        cases += copy(conn, "cases_case", CASE_COLUMNS, rows)
        events += copy(conn, "cases_caseevent", EVENT_COLUMNS, event_rows(rows, street))
        conn.commit()
        print(f"  loaded {cases:,} cases, {events:,} events", flush=True)
    loaded = time.monotonic()
    with conn.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [total])
    conn.commit()
    indexed = time.monotonic()
    old = conn.isolation_level
    conn.set_isolation_level(0)
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE cases_caseevent")
    conn.set_isolation_level(old)
    return {
        "cases": cases,
        "events": events,
        "load_seconds": round(loaded - started, 1),
        "rows_per_second": round((cases + events) / (loaded - started)),
        "index_seconds": round(indexed - loaded, 1),
        "analyze_seconds": round(time.monotonic() - indexed, 1),
    }


# ------------------------------------------------------------------------------------------ load


# wrk's script: one path a request, in turn from the file the bench wrote (random ids and communities drawn
# in Python, the same for every run of a size); `done` prints the figures as one JSON line.
WRK_SCRIPT = """
local paths, next_path = {}, 1
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local headers = {["Authorization"] = "Token " .. os.getenv("BENCH_TOKEN"), ["Accept"] = "application/json"}
request = function()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "errors": %d, "seconds": %.3f, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f}\\n', summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def drive(port: int, token: str, paths: Any, duration: float, concurrency: int) -> dict[str, float]:
    """Drives the server with wrk (C, one thread, `concurrency` connections): a Python client cost about a
    millisecond of CPU per request, an eighth of what the server spends on a list page, on the same two
    cores. Returns latency percentiles (ms) and requests/s of 2xx answers."""
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench/cases_api.py drives the server with wrk: install it (`apt-get install wrk`, Debian).")
    workdir = Path(tempfile.mkdtemp(prefix="cases-api-"))
    try:
        (workdir / "paths.txt").write_text("\n".join(paths() for _ in range(20_000)) + "\n")
        (workdir / "bench.lua").write_text(WRK_SCRIPT)
        out = subprocess.run(
            [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "-s", str(workdir / "bench.lua"),
             f"http://127.0.0.1:{port}"],
            env={**os.environ, "BENCH_PATHS": str(workdir / "paths.txt"), "BENCH_TOKEN": token},
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    finally:
        shutil.rmtree(workdir)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    answered = figures["requests"] - figures["errors"]
    return {
        "requests": answered,
        "errors": figures["errors"],
        "per_second": round(answered / figures["seconds"], 1),
        "p50_ms": round(figures["p50_us"] / 1000, 1),
        "p95_ms": round(figures["p95_us"] / 1000, 1),
        "p99_ms": round(figures["p99_us"] / 1000, 1),
        "mean_ms": round(figures["mean_us"] / 1000, 1),
    }


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def server_cpu(gunicorn_pid: int, size: int) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn's workers, and by the client backends of the size's database
    (not autovacuum: it runs when it likes, it is not the requests' cost)."""
    conn = connect(size)
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()",
            [db_name(size)],
        )
        backends = [psutil.Process(pid) for (pid,) in cursor.fetchall() if psutil.pid_exists(pid)]
    conn.close()
    return _cpu(psutil.Process(gunicorn_pid).children()), _cpu(backends)


def cpu_in_process(size: int, count: int) -> dict[str, Any]:
    """CPU per answer measured inside one process (a child with the bench's settings): the WSGI handler
    called `count` times per endpoint, Python's process time plus the CPU of its PostgreSQL backend.
    No HTTP server, no load generator, no waiting: robust to a busy machine, unlike latencies."""
    out = subprocess.run(
        [PYTHON, __file__, "--cpu-child", str(size), str(count)],
        cwd=ROOT, env=env(size), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def cpu_child(size: int, count: int) -> None:
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    app = get_wsgi_application()
    conn = connect(size)
    street = Street(conn)
    conn.close()
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    rng = random.Random(size)
    paths = {
        "list": lambda: ("/api/v1/cases/", f"status=closed&community={rng.choice(street.communities)}&created_after={since}"),
        "detail": lambda: (f"/api/v1/cases/{rng.randint(1, size)}/", ""),
    }  # fmt: skip

    def call(path: str, query: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Token {street.token}", "HTTP_ACCEPT": "application/json",
            "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        }  # fmt: skip
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(line)
            return lambda data: None

        b"".join(app(environ, start_response))
        assert status[0].startswith("200"), status

    result: dict[str, Any] = {}
    for name, path in paths.items():
        for _ in range(50):  # warm-up: connection, prepared statements, caches
            call(*path())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = psutil.Process(cursor.fetchone()[0])
        python, database = time.process_time(), _cpu([backend])
        for _ in range(count):
            call(*path())
        python, database = time.process_time() - python, _cpu([backend]) - database
        result[name] = {
            "python": round(python * 1000 / count, 2),
            "postgresql": round(database * 1000 / count, 2),
        }
    print(json.dumps(result))


def measure(street: Street, total: int, args: argparse.Namespace) -> dict[str, Any]:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # no cached token of an earlier run's users
    port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "command_center.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env(total),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("gunicorn did not start")
            time.sleep(0.2)
        since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
        rng = random.Random(total)

        def list_path() -> str:
            return f"/api/v1/cases/?status=closed&community={rng.choice(street.communities)}&created_after={since}"

        def detail_path() -> str:
            return f"/api/v1/cases/{rng.randint(1, total)}/"

        result: dict[str, Any] = {}
        for name, paths in (("list", list_path), ("detail", detail_path)):
            drive(port, street.token, paths, 3, args.concurrency)  # warm-up
            app_before, db_before = server_cpu(gunicorn.pid, total)
            result[name] = drive(port, street.token, paths, args.duration, args.concurrency)
            app_after, db_after = server_cpu(gunicorn.pid, total)
            # CPU of gunicorn and PostgreSQL per answer: what the requests cost, whatever else the box does.
            answers = max(result[name]["requests"], 1)
            app_ms, db_ms = (app_after - app_before) * 1000 / answers, (db_after - db_before) * 1000 / answers
            cpu_ms = app_ms + db_ms
            result[name]["cpu_ms_per_request"] = {"gunicorn": round(app_ms, 2), "postgresql": round(db_ms, 2)}
            result[name]["per_second_if_2_cores_were_free"] = round(2000 / cpu_ms) if cpu_ms else None
            print(f"  {name:6} {result[name]}", flush=True)
        result["cpu_ms_per_request_in_process"] = cpu_in_process(total, args.cpu_requests)
        print(f"  CPU ms per request in one process: {result['cpu_ms_per_request_in_process']}", flush=True)
        return result
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_500_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--reuse", action="store_true", help="keep a size's database when it is loaded already"
    )
    parser.add_argument(
        "--cpu-requests", type=int, default=500, help="requests per endpoint of the in-process CPU measure"
    )
    parser.add_argument("--cpu-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_child:
        cpu_child(*args.cpu_child)
        return

    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "load_average_before": os.getloadavg(),
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "sizes": {},
    }
    for total in (args.small, args.cases):
        seeded: dict[str, Any] = {"reused": True}
        if not (args.reuse and loaded_cases(total) == total):
            print(f"database {db_name(total)}: create, migrate, seed the demo street", flush=True)
            recreate_database(total)
            manage(total, "migrate", "--noinput")
            manage(total, "seed_demo")
            conn = connect(total)
            print(f"{total:,} cases: seeding", flush=True)
            seeded = seed_cases(conn, Street(conn), total, random.Random(2026))
            conn.close()
        print(f"{total:,} cases: {seeded}", flush=True)
        conn = connect(total)
        street = Street(conn)
        conn.close()
        report["sizes"][str(total)] = {"seed": seeded, **measure(street, total, args)}
    small, large = report["sizes"][str(args.small)], report["sizes"][str(args.cases)]
    report["list_p95_ratio"] = round(large["list"]["p95_ms"] / max(small["list"]["p95_ms"], 0.1), 2)
    print(f"list p95 at {args.cases:,} ÷ at {args.small:,}: {report['list_p95_ratio']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"cases-api-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    report["load_average_after"] = os.getloadavg()
    out.write_text(json.dumps(report, indent=2))
    print(f"load average before {report['load_average_before']}, after {report['load_average_after']}")
    print(f"written {out}")


if __name__ == "__main__":
    main()
