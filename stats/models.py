"""The weekly report's archive: one row per ISO week with its files (PDF, XLSX, CSV) and figures."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def report_path(instance: "WeeklyReport", filename: str) -> str:
    return f"stats/weekly/{instance.week}/{filename}"


class WeeklyReport(models.Model):
    week = models.CharField(_("ISO week"), max_length=8, unique=True)  # 2026-W47
    first_day = models.DateField(_("Monday"))
    last_day = models.DateField(_("Sunday"))
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)
    kpis = models.JSONField(_("figures"), default=dict)
    pdf = models.FileField(_("PDF"), upload_to=report_path, blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to=report_path, blank=True)
    csv = models.FileField(_("CSV"), upload_to=report_path, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    emailed_to = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")

    def __str__(self) -> str:
        return self.week
