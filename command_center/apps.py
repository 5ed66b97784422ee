from importlib import import_module

import django_stubs_ext
from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

# django-leaflet's admin module imports GeoDjango (GDAL), which this project does not use.
ADMIN_MODULES_SKIPPED = {"leaflet"}


class CommandCenterConfig(AppConfig):
    name = "command_center"
    verbose_name = _("Command center")

    def ready(self) -> None:
        # The type stubs' generics (ModelAdmin[Grid], ModelSerializer[Case]...) at run time too; first,
        # before the admin modules below and the serializers the URLs import are loaded.
        from rest_framework import fields, generics  # here: DRF reads the settings this app is part of

        django_stubs_ext.monkeypatch(extra_classes=[fields.Field, generics.GenericAPIView])
        for app_config in apps.get_app_configs():
            if app_config.name in ADMIN_MODULES_SKIPPED:
                continue
            if module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
