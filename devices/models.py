"""Scenes (应用场景) and sensor points. Ingest, readings and alarms are added by the ingest work (issue 3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    WARNING = "warning", _("Warning")


class Scene(models.Model):
    """A catalogue row per application scene: which sensor type, when it is on, what it opens."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # A protocol `type` (smoke, water_pressure, ...): new types come from this catalogue, not code.
    sensor_type = models.SlugField(_("sensor type"), max_length=40)
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MAJOR
    )
    case_category_code = models.CharField(_("case category"), max_length=40, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("scene")
        verbose_name_plural = _("scenes")

    def __str__(self) -> str:
        return self.name


class SensorPoint(models.Model):
    """A registered sensor at a place; its code is the device code in the MQTT topic."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MAINTENANCE = "maintenance", _("Maintenance")
        RETIRED = "retired", _("Retired")

    code = models.CharField(_("code"), max_length=64, unique=True)
    scene = models.ForeignKey(Scene, verbose_name=_("scene"), on_delete=models.PROTECT, related_name="points")
    sensor_type = models.SlugField(_("sensor type"), max_length=40)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points",
    )
    compound = models.ForeignKey(
        "grids.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points",
    )
    building = models.ForeignKey(
        "grids.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="points",
    )
    department = models.ForeignKey(
        "command_center.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="points",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    heartbeat_interval = models.PositiveIntegerField(_("heartbeat interval (s)"), default=300)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("battery %"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["grid", "status"]), models.Index(fields=["sensor_type"])]
        verbose_name = _("sensor point")
        verbose_name_plural = _("sensor points")

    def __str__(self) -> str:
        return self.code
