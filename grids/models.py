"""Geography: District → Street (街道) → Community (社区) → Grid (网格) → Compound (小区) → Building.

Boundaries are GeoJSON Polygon geometries in WGS84 (lng, lat order, as GeoJSON says), stored as JSON so
the same code runs on SQLite and PostgreSQL; shapely does the geometry (grids/geometry.py). Each polygon
keeps a centre point that lies inside it, computed when the boundary is set.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .geometry import polygon_centre

# One lazy message for every level: interpolating it at import time would freeze one language into
# the migrations.
CODE_MESSAGE = _("Digits only: 6 for a district, 9 for a street, 12 for a community, 15 for a grid.")


def _digits(n: int) -> RegexValidator:
    return RegexValidator(rf"^\d{{{n}}}$", CODE_MESSAGE)


class District(models.Model):
    code = models.CharField(_("code"), max_length=6, unique=True, validators=[_digits(6)])  # 行政区划代码
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")
    code = models.CharField(_("code"), max_length=9, unique=True, validators=[_digits(9)])
    name = models.CharField(_("name"), max_length=100)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("street leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    officials = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("officials"), blank=True, related_name="official_streets"
    )

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities")
    code = models.CharField(_("code"), max_length=12, unique=True, validators=[_digits(12)])
    name = models.CharField(_("name"), max_length=100)
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("community secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    """A named polygon with a centre point inside it."""

    boundary = models.JSONField(_("boundary (GeoJSON Polygon)"))
    centre_lat = models.FloatField(_("centre latitude"), editable=False)
    centre_lng = models.FloatField(_("centre longitude"), editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.centre_lat, self.centre_lng = polygon_centre(self.boundary)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "boundary" in update_fields:
            kwargs["update_fields"] = {*update_fields, "centre_lat", "centre_lng"}
        super().save(*args, **kwargs)


class Grid(Area):
    """A responsibility grid (责任网格): one or more grid workers' beat."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")
    # National style: district 6 + street 3 + community 3 + grid 3 digits.
    code = models.CharField(_("code"), max_length=15, unique=True, validators=[_digits(15)])
    name = models.CharField(_("name"), max_length=100)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("grid workers"), blank=True, related_name="grids"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Compound(Area):
    """A residential compound (小区) with its property company."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="compounds")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="compounds")
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    property_company = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compounds",
    )
    guards = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("gate guards"), blank=True, related_name="guarded_compounds"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="buildings")
    name = models.CharField(_("name"), max_length=50)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))

    class Meta:
        ordering = ["compound", "name"]
        constraints = [models.UniqueConstraint(fields=["compound", "name"], name="building_unique_name")]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return f"{self.compound.name} {self.name}"


class DutyShift(models.Model):
    """The duty roster: who is on duty, as what, where and when."""

    class Duty(models.TextChoices):
        GRID_WORKER = "grid_worker", _("On-duty grid worker")
        DUTY_CHIEF = "duty_chief", _("Duty chief")
        DISPATCHER = "dispatcher", _("Dispatcher on duty")
        GATE_GUARD = "gate_guard", _("Gate guard on duty")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts")
    duty = models.CharField(_("duty"), max_length=20, choices=Duty.choices)
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.CASCADE, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["duty", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")

    def __str__(self) -> str:
        return f"{self.get_duty_display()} {self.user} {self.starts_at:%Y-%m-%d %H:%M}"


class PatrolPosition(models.Model):
    """Where a grid worker's phone was at a moment of their patrol (巡查轨迹).

    Phones buffer positions while offline and upload them later, possibly twice: (user, recorded_at)
    is unique so a retried upload does not duplicate the track.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patrol_positions"
    )
    # The grid the point lies in, found when it is recorded; None outside every grid.
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="patrol_positions"
    )
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["user", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "recorded_at"], name="patrol_position_unique_time"),
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180),
                name="patrol_position_wgs84",
            ),
        ]
        indexes = [models.Index(fields=["recorded_at"])]
        verbose_name = _("patrol position")
        verbose_name_plural = _("patrol positions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.recorded_at:%Y-%m-%d %H:%M:%S}"
