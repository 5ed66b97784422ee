from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Models and what reads them can be imported only once the app registry is ready.
        from accounts.models import Department

        from .catalogue import catalogue_cache
        from .models import (
            CalendarDay,
            CalendarYear,
            Category,
            EscalationPolicy,
            EscalationStep,
            WorkCalendar,
        )
        from .selectors import clear_calendar_cache

        # New cases read categories (with their default departments) and escalation policies from it.
        catalogue_cache.clear_on(Category, EscalationPolicy, EscalationStep, Department)
        # This process sees calendar edits at once; other processes within a minute (selectors cache).
        for model in (WorkCalendar, CalendarYear, CalendarDay):
            for signal in (post_save, post_delete):
                signal.connect(
                    lambda **kwargs: clear_calendar_cache(), sender=model, weak=False,
                    dispatch_uid=f"cases-calendar-{model.__name__}-{signal is post_save}",
                )  # fmt: skip
