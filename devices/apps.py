from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Sensors and alarms")

    def ready(self) -> None:
        # why: models and the Celery app are ready only now; the writes enqueue the tasks by name.
        from . import tasks  # noqa: F401
        from .ingest import catalogue_types_cache
        from .models import Scene

        catalogue_types_cache.clear_on(Scene)
