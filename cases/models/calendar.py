"""The work calendar as data: work windows, and each year's holidays and make-up workdays."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkCalendar(models.Model):
    """Work time: a morning and an afternoon window on work days; holidays and 调休 per year as data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    morning_start = models.TimeField(_("morning starts"), default="08:30")
    morning_end = models.TimeField(_("morning ends"), default="12:00")
    afternoon_start = models.TimeField(_("afternoon starts"), default="13:00")
    afternoon_end = models.TimeField(_("afternoon ends"), default="17:00")
    workweek = models.CharField(
        _("work weekdays"), max_length=7, default="12345", help_text=_("ISO weekday digits, 1 = Monday.")
    )

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValidationError(
                _("Work windows must be in order: morning start < end ≤ afternoon start < end.")
            )
        if not self.workweek or any(ch not in "1234567" for ch in self.workweek):
            raise ValidationError({"workweek": _("Use ISO weekday digits 1-7, e.g. 12345.")})


class CalendarYear(models.Model):
    """One year of the State Council's holiday notice (国务院办公厅关于节假日安排的通知)."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    checked = models.BooleanField(
        _("checked against the annual notice"),
        default=False,
        help_text=_("Tick once the days below were compared with the State Council's notice for this year."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "year"]
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year_unique")]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return f"{self.calendar} {self.year}"


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up workday (调休)")

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["year", "date"], name="calendar_day_unique")]
        verbose_name = _("holiday or make-up workday")
        verbose_name_plural = _("holidays and make-up workdays")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.year_id and self.date and self.date.year != self.year.year:
            raise ValidationError({"date": _("The date is not in %(year)s.") % {"year": self.year.year}})
