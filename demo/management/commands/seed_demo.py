"""Seed the demo street (广中路街道): geography, departments, people, roster, sensor points.

    python manage.py seed_demo [--if-empty]

Deterministic and idempotent: a second run creates nothing. Demo data only: every demo account has
the password demo12345.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from demo.seed import seed_demo
from demo.street import DEMO_ACCOUNTS, DEMO_PASSWORD
from grids.geometry import GeometryError
from grids.models import Grid


class Command(BaseCommand):
    help = "Seed the demo street (Guangzhong Road, Hongkou): grids, compounds, sensor points, people."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds grids (make run uses this)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Grid.objects.exists():
            self.stdout.write(_("The database already holds grids: demo data not seeded."))
            return
        started = time.monotonic()
        try:
            report = seed_demo()
        except (LookupError, GeometryError) as exc:
            raise CommandError(_("Seeding the demo street failed, nothing was written: %s") % exc) from exc
        elapsed = time.monotonic() - started

        self.stdout.write(_("Demo street 广中路街道 (虹口区) in %(seconds).1f s:") % {"seconds": elapsed})
        for model, total in report.total.items():
            label = str(model._meta.verbose_name_plural)
            self.stdout.write(f"  {label:<16} {total:>6}  (+{report.created.get(model, 0)})")
        if not report.created_anything:
            self.stdout.write(_("Nothing to create: the demo street was already there."))
        self.stdout.write(
            _("Demo accounts (demo data only), password %(password)s:") % {"password": DEMO_PASSWORD}
        )
        roles = dict(User.objects.filter(username__in=DEMO_ACCOUNTS).values_list("username", "role"))
        for username in DEMO_ACCOUNTS:
            role = User.Role(roles[username]).label if username in roles else "?"
            self.stdout.write(f"  {username:<11} {role}")
