"""Alarm storm benchmark: 60,000 smoke detectors each alarming 5 times within 60 s, on top of a
sustained background load, through the production path.

    .venv/bin/python bench/storm.py [--detectors 60000] [--repeats 5] [--window 60] [--background-rate 1000]

Same setup as bench/ingest.py (own Mosquitto, scratch database, `mqtt_listen`, Celery). Ingest workers
(queue `ingest`) and case workers (queues `cases`, `notify`) run as separate processes, as a district
deployment would, so the case backlog is measured apart from the ingest backlog.

Checks and prints: messages lost (published − stored), exactly `detectors` active smoke alarms each with
count = `repeats`, the time the ingest backlog needs to drain after the storm, the case backlog, the CPU
µs per stored message of each process from the storm's start until drained, and the peak memory of each
process (sampled every 2 s). Writes bench/results/storm-*.json. The publishers are bench/mqttpub.py's
(see bench/ingest.py).
"""

import argparse
import json
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import PYTHON, ROOT, Bench, db_rows, db_scalar, join_publishers, machine, run_publishers


def start_workers(bench: Bench, *, ingest_workers: int, case_workers: int, batch_size: int) -> None:
    import shutil

    celery = shutil.which("celery", path=str(Path(PYTHON).parent)) or "celery"
    common = ["--loglevel", "WARNING", "--without-mingle", "--without-gossip", "--prefetch-multiplier", "1"]
    bench.start("ingest-worker", [celery, "-A", "command_center", "worker", "-n", "ingest@%h", "-Q", "ingest",
                                  "-c", str(ingest_workers), *common])  # fmt: skip
    # Lower priority: opening 60,000 cases must not starve ingest (a deployment gives them their own cores).
    bench.start("case-worker", ["nice", "-n", "10", celery, "-A", "command_center", "worker", "-n", "cases@%h",
                                "-Q", "cases,notify", "-c", str(case_workers), *common])  # fmt: skip
    bench.start("listener-0", [PYTHON, "manage.py", "mqtt_listen", "--client-id", "storm-0",
                               "--batch-size", str(batch_size), "--batch-wait-ms", "50"])  # fmt: skip
    log = bench.workdir / "listener-0.log"
    deadline = time.monotonic() + 120
    while "subscribed" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)


class Unprocessed:
    """Counts the inbox's unprocessed rows. No index finds them (models.Inbox), so each count reads by
    id from the lowest row the count before found unprocessed (or the highest it read): the backlog and
    what came since, not the whole inbox. A row committed after a higher id was read can be missed:
    rows are committed within milliseconds, the storm's figures come from full counts at the end."""

    def __init__(self, floor: int) -> None:
        self.floor = floor

    def count(self) -> int:
        first, count, last = db_rows(
            "SELECT min(id) FILTER (WHERE processed_at IS NULL), count(*) FILTER (WHERE processed_at IS NULL),"
            " max(id) FROM devices_inbox WHERE id > %s",
            (self.floor,),
        )[0]
        if first is not None:
            self.floor = first - 1
        elif last is not None:
            self.floor = last
        return count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--detectors", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--window", type=float, default=60, help="seconds in which all storm alarms are sent")
    parser.add_argument("--background-rate", type=float, default=1000, help="sustained load, messages/s")
    parser.add_argument("--background-points", type=int, default=5000)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--ingest-workers", type=int, default=2)
    parser.add_argument("--case-workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--drain-timeout", type=float, default=900)
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    bench = Bench(Path(tempfile.mkdtemp(prefix="bench-storm-")))
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "args": vars(args),
        "machine": machine(),
    }
    try:
        print(f"setup: database, {args.detectors} detectors, logs in {bench.workdir}", flush=True)
        bench.create_database()
        storm_codes = bench.add_points("ST", args.detectors)
        background_codes = bench.add_points("BG", args.background_points)
        bench.start_broker()
        start_workers(bench, ingest_workers=args.ingest_workers, case_workers=args.case_workers,
                      batch_size=args.batch_size)  # fmt: skip
        total_storm = args.detectors * args.repeats
        storm_rate = total_storm / args.window
        lead = 10.0  # background load alone first, then the storm on top
        print(f"background {args.background_rate:.0f} msg/s; storm {total_storm} alarms at {storm_rate:.0f} msg/s "
              f"after {lead:.0f} s", flush=True)  # fmt: skip
        background_seconds = lead + args.window + 30
        _, background = run_publishers(bench.mqtt_port, "sensors", background_codes, rate=args.background_rate,
                                       seconds=background_seconds, publishers=1, alarm_ratio=0.0, label="g")  # fmt: skip
        time.sleep(lead)
        cpu_before = bench.cpu_seconds()
        stored_before = db_scalar("SELECT count(*) FROM devices_inbox")
        unprocessed = Unprocessed(db_scalar("SELECT COALESCE(max(id), 0) FROM devices_inbox"))
        storm_started = time.monotonic()
        # Every detector sends exactly `repeats` alarms: at the storm rate, or slower if the box cannot.
        _, storm = run_publishers(bench.mqtt_port, "sensors", storm_codes, rate=storm_rate, seconds=args.window,
                                  publishers=args.publishers, alarm_ratio=1.0, label="s", limit=total_storm)  # fmt: skip
        samples = []

        def sample() -> dict[str, Any]:
            bench.sample_memory()
            row = {
                "t": round(time.monotonic() - storm_started, 1),
                "ingest_backlog": unprocessed.count(),
                "active_alarms": db_scalar("SELECT count(*) FROM devices_alarm WHERE cleared_at IS NULL"),
                "case_backlog": db_scalar("SELECT count(*) FROM devices_alarm WHERE case_pending"),
                "storm_published": storm[1].value,
            }
            samples.append(row)
            print(f"  {row}", flush=True)
            return row

        while any(proc.is_alive() for proc in storm[0]):
            time.sleep(2)
            sample()
        storm_published = join_publishers(storm)
        storm_sent = time.monotonic()
        result["storm_publish_seconds"] = round(storm_sent - storm_started, 1)
        stored = 0
        while time.monotonic() - storm_sent < args.drain_timeout:
            time.sleep(2)
            row = sample()
            if row["ingest_backlog"] == 0:  # count the stored rows only then (a full scan)
                stored = db_scalar("SELECT count(*) FROM devices_inbox WHERE msg_id LIKE 's%%'")
                if stored >= storm_published:
                    break
        drained = time.monotonic() - storm_sent
        cpu_after = bench.cpu_seconds()
        stored_during = db_scalar("SELECT count(*) FROM devices_inbox") - stored_before
        stored = db_scalar("SELECT count(*) FROM devices_inbox WHERE msg_id LIKE 's%%'")
        background_published = join_publishers(background)
        cases_deadline = time.monotonic() + 60
        while (
            db_scalar("SELECT count(*) FROM devices_alarm WHERE case_pending")
            and time.monotonic() < cases_deadline
        ):
            time.sleep(2)
            sample()
        counts = db_scalar(
            "SELECT json_build_object('alarms', count(*), 'min', min(a.count), 'max', max(a.count))"
            " FROM devices_alarm a JOIN devices_sensorpoint p ON p.id = a.point_id"
            " WHERE a.cleared_at IS NULL AND a.type = 'smoke' AND p.code LIKE 'ST%%'"
        )
        result.update(
            storm_published=storm_published,
            storm_stored=stored,
            lost=storm_published - stored,
            active_storm_alarms=counts["alarms"],
            alarm_count_min=counts["min"],
            alarm_count_max=counts["max"],
            drained_after_storm_s=round(drained, 1),
            # CPU µs per message stored from the storm's start until its backlog drained (storm and
            # background), by process: comparable when the box is busy, unlike the drain time.
            cpu_us_per_message={
                name: round((cpu_after[name] - cpu_before.get(name, 0.0)) * 1e6 / max(stored_during, 1))
                for name in cpu_after
            },
            background_published=background_published,
            case_backlog_at_end=samples[-1]["case_backlog"] if samples else None,
            cases_opened=db_scalar("SELECT count(*) FROM devices_alarm WHERE case_id IS NOT NULL"),
            peak_rss_mb={k: round(v) for k, v in bench.peak_rss.items()},
            samples=samples,
        )
    finally:
        bench.stop_all()
    summary = {k: v for k, v in result.items() if k not in {"samples", "args"}}
    print(json.dumps(summary, indent=2, default=str))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"storm-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(
        json.dumps(result, indent=2, default=str)
    )


if __name__ == "__main__":
    main()
