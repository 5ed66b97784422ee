from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from .models import CalendarDay, CalendarYear, WorkCalendar
        from .selectors import clear_calendar_cache

        # This process sees calendar edits at once; other processes within a minute (selectors cache).
        for model in (WorkCalendar, CalendarYear, CalendarDay):
            for signal in (post_save, post_delete):
                signal.connect(
                    lambda **kwargs: clear_calendar_cache(), sender=model, weak=False,
                    dispatch_uid=f"cases-calendar-{model.__name__}-{signal is post_save}",
                )  # fmt: skip
