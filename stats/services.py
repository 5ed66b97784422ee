"""Writes of the statistics: the weekly report, generated, archived and e-mailed to the officials."""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User

from .models import WeeklyReport
from .periods import SHANGHAI, Period, previous_iso_week
from .report import csv_text, pdf_bytes, report_content, xlsx_bytes

logger = logging.getLogger(__name__)
# The report of last week is due on Monday at 08:00 (local time).
DUE_WEEKDAY, DUE_TIME = 0, time(8, 0)


def officials_addresses() -> list[str]:
    officials = User.objects.filter(role=User.Role.OFFICIAL, is_active=True).exclude(email="")
    return sorted(set(officials.values_list("email", flat=True)))


def generate_weekly_report(*, week: Period, email: bool = True) -> WeeklyReport:
    """Compute the week's figures, write the PDF, XLSX and CSV, archive them (a second run replaces
    them) and e-mail the officials. In the site's language (the report is nobody's request)."""
    with translation.override(settings.LANGUAGE_CODE):
        content = report_content(week)
        files = {
            "pdf": pdf_bytes(content),
            "xlsx": xlsx_bytes(content),
            "csv": csv_text(content).encode("utf-8-sig"),  # with a BOM: Excel opens UTF-8 CSV right
        }
    with transaction.atomic():
        report, _created = WeeklyReport.objects.select_for_update().get_or_create(
            week=week.label, defaults={"first_day": week.first, "last_day": week.last}
        )
        report.generated_at = timezone.now()
        report.kpis = {row["key"]: row["value"] for row in content["kpi_rows"]}
        for kind, data in files.items():
            field = getattr(report, kind)
            if field:
                field.delete(save=False)  # a new run replaces the file under the same name
            field.save(f"weekly-{week.label}.{kind}", ContentFile(data), save=False)
        report.save()
    if email:
        email_report(report, files)
    return report


def email_report(report: WeeklyReport, files: dict[str, bytes]) -> int:
    """Send the PDF and XLSX to every active official with an address; returns how many."""
    addresses = officials_addresses()
    if not addresses:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Weekly report %(week)s") % {"week": report.week}
        body = _("The weekly report of %(first)s to %(last)s is attached (PDF and XLSX).") % {
            "first": report.first_day,
            "last": report.last_day,
        }
    message = EmailMessage(subject, body, to=addresses)
    message.attach(f"weekly-{report.week}.pdf", files["pdf"], "application/pdf")
    message.attach(
        f"weekly-{report.week}.xlsx",
        files["xlsx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    message.send()
    WeeklyReport.objects.filter(pk=report.pk).update(emailed_at=timezone.now(), emailed_to=len(addresses))
    return len(addresses)


def due_week(now: datetime) -> Period | None:
    """Last week's report, once this week's Monday 08:00 has passed and it is not archived yet."""
    local = now.astimezone(SHANGHAI)
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday + timedelta(days=DUE_WEEKDAY), DUE_TIME, tzinfo=SHANGHAI):
        return None
    week = previous_iso_week(local.date())
    return None if WeeklyReport.objects.filter(week=week.label).exists() else week


def generate_due_report(*, now: datetime | None = None) -> str | None:
    """The periodic job: generate and send last week's report when it is due; the week, or None."""
    week = due_week(now or timezone.now())
    if week is None:
        return None
    generate_weekly_report(week=week)
    logger.info("weekly report %s generated", week.label)
    return week.label
