"""Demo case history for /stats/ (a minute: every case runs the real workflow). Run after seed_demo."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from stats.demo_data import CASES_PER_DAY, seed_demo_stats


class Command(BaseCommand):
    help = "Seed a few weeks of demo cases (and the same weeks a year earlier) for the statistics."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--per-day", type=int, default=CASES_PER_DAY, help="cases a day (about)")

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo_stats(per_day=options["per_day"])
        if not created:
            self.stdout.write(_("Cases exist already, or the demo street is missing: nothing created."))
            return
        self.stdout.write(_("%(count)s demo cases created.") % {"count": created})
