"""Statistics benchmark: the weekly report's numbers and PDF, and /stats/ for a month, over the bench
database of bench/cases_api.py (1.5 M cases, 7 years at 587 a day, with their timelines).

    .venv/bin/python bench/stats.py [--cases 1500000] [--reuse] [--repeat 3]

The database (dcc_bench_cases_<size>) is made as bench/cases_api.py makes it (created, migrated, the demo
street, cases and events loaded with COPY) unless --reuse finds it loaded. Then, in a child process on
that database, each measure runs `--repeat` times (the first one warms the caches) and the best and
median wall times are printed:

- numbers: the KPIs of the last full ISO week with their week-on-week and year-on-year comparisons
  (stats.selectors.period_kpis, what GET /api/v1/stats/weekly/ answers);
- report: everything the weekly report shows (KPIs, rankings, overdue list, sensors, daily trend);
- pdf: the PDF from those figures (WeasyPrint, SVG charts);
- month: what /stats/ computes for the last month (stats.selectors.statistics).
Targets (DESIGN.md): numbers ≤ 1 s, PDF ≤ 5 s, /stats/ for a month ≤ 1 s. Results go to
bench/results/stats-*.json.
"""

import argparse
import json
import os
import random
import statistics as stats_math
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# This file is bench/stats.py: keep it from shadowing the stats app, and still reach its sibling cases_api.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

from cases_api import (  # noqa: E402  (the bench directory is not a package)
    RESULTS,
    Street,
    connect,
    db_name,
    env,
    loaded_cases,
    manage,
    recreate_database,
    seed_cases,
)


def timed(function: Callable[[], Any], repeat: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return {"best_s": round(min(seconds), 3), "median_s": round(stats_math.median(seconds), 3)}


def measure_here(repeat: int) -> dict[str, Any]:
    """Runs in the child process, on the bench database (DJANGO_SETTINGS_MODULE and DATABASE_URL set)."""
    import django  # why: Django is set up here, in the child, on the bench database

    django.setup()
    from django.utils import timezone  # why: after django.setup()

    from stats.filters import district_cases
    from stats.periods import period_of, previous_iso_week
    from stats.report import pdf_bytes, report_content
    from stats.selectors import period_kpis, statistics

    today = timezone.localdate()
    week = previous_iso_week(today)
    month = period_of("month", today.replace(day=1) - timedelta(days=1))
    content = report_content(week)
    return {
        "week": week.label,
        "month": month.label,
        "numbers": timed(lambda: period_kpis(district_cases(), week), repeat),
        "report": timed(lambda: report_content(week), repeat),
        "pdf": timed(lambda: pdf_bytes(content), repeat),
        "month_page": timed(lambda: statistics(None, month), repeat),
        "reported_that_week": period_kpis(district_cases(), week)["reported"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_500_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database when it is loaded already")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_here:
        print(json.dumps(measure_here(args.repeat), default=str))
        return
    total = args.cases
    seeded: dict[str, Any] = {"reused": True}
    if not (args.reuse and loaded_cases(total) == total):
        print(f"database {db_name(total)}: create, migrate, seed the demo street", flush=True)
        recreate_database(total)
        manage(total, "migrate", "--noinput")
        manage(total, "seed_demo")
        conn = connect(total)
        seeded = seed_cases(conn, Street(conn), total, random.Random(2026))
        conn.close()
    print(f"{total:,} cases: {seeded}", flush=True)
    child = subprocess.run(
        [sys.executable, __file__, "--measure-here", "--repeat", str(args.repeat)],
        cwd=ROOT,
        env=env(total),
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "load_average": os.getloadavg(),
        "cases": total,
        "seed": seeded,
        **measured,
    }
    for name in ("numbers", "report", "pdf", "month_page"):
        print(f"{name:>10}: best {measured[name]['best_s']} s, median {measured[name]['median_s']} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"stats-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
