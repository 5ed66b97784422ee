from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreenConfig(AppConfig):
    name = "screen"
    verbose_name = _("Wall screen")
