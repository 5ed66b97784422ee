"""Celery tasks of the statistics (thin wrappers). The weekly report runs on the `reports` queue."""

from celery import shared_task

from . import services


@shared_task(name="stats.tasks.weekly_report_when_due")
def weekly_report_when_due() -> str | None:
    """Every 10 minutes (settings.PERIODIC_JOBS): last week's report once Monday 08:00 has passed."""
    return services.generate_due_report()
