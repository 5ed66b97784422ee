from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

# django-leaflet's admin module imports GeoDjango (GDAL), which this project does not use.
ADMIN_MODULES_SKIPPED = {"leaflet"}


class CommandCenterConfig(AppConfig):
    name = "command_center"
    verbose_name = _("Command center")

    def ready(self) -> None:
        for app_config in apps.get_app_configs():
            if app_config.name in ADMIN_MODULES_SKIPPED:
                continue
            if module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
