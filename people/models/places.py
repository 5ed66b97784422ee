"""Places: a building of grids (楼栋) → unit (单元) → flat (户室) → household (户) → people; rentals."""

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import privacy
from grids.models import Building


class BuildingUnit(models.Model):
    """A stairwell of a building (单元), the flats behind one entrance."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="units"
    )
    name = models.CharField(_("name"), max_length=30)

    class Meta:
        ordering = ["building", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="people_unit_unique_name")]
        verbose_name = _("building unit")
        verbose_name_plural = _("building units")

    def __str__(self) -> str:
        return f"{self.building} {self.name}"


class Flat(models.Model):
    class Use(models.TextChoices):
        OWNER_OCCUPIED = "owner_occupied", _("Owner-occupied")
        RENTED = "rented", _("Rented")
        GROUP_RENTAL_SUSPECTED = "group_rental_suspected", _("Group rental suspected")
        VACANT = "vacant", _("Vacant")
        COMMERCIAL = "commercial", _("Commercial")

    unit = models.ForeignKey(
        BuildingUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="flats"
    )
    room_number = models.CharField(_("room number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True)
    # Guards compare a renovation with the plan on file.
    floor_plan = models.ImageField(_("floor plan"), upload_to="people/floor-plans/%Y/", blank=True)
    use = models.CharField(_("use"), max_length=30, choices=Use.choices, default=Use.OWNER_OCCUPIED)

    class Meta:
        ordering = ["unit", "room_number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "room_number"], name="people_flat_unique_room"),
            models.CheckConstraint(condition=models.Q(area_m2__gt=0), name="people_flat_area_positive"),
        ]
        verbose_name = _("flat")
        verbose_name_plural = _("flats")

    def __str__(self) -> str:
        return f"{self.unit} {self.room_number}"


class Household(models.Model):
    """A household (户) living in a flat: registered residents (户籍) or newcomers (流动)."""

    flat = models.ForeignKey(
        Flat, verbose_name=_("flat"), on_delete=models.CASCADE, related_name="households"
    )
    number = models.CharField(_("household number"), max_length=30, blank=True)
    registered = models.BooleanField(_("registered residence (户籍)"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["flat", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.flat} #{self.number or self.pk}"


class Person(models.Model):
    """A resident. The ID number is stored encrypted and found by its keyed hash only (accounts/privacy)."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="members",
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    relation = models.CharField(_("relation to the head"), max_length=20, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_hash = models.CharField(_("ID number search hash"), max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["household", "id"]
        indexes = [models.Index(fields=["id_number_hash"], name="people_person_id_hash")]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return privacy.mask_name(self.name)  # what lands in logs and admin lists stays masked

    @property
    def id_number(self) -> str:
        return privacy.decrypt(self.id_number_encrypted)

    def set_id_number(self, value: str) -> None:
        value = value.strip().upper()
        self.id_number_encrypted = privacy.encrypt(value)
        self.id_number_hash = privacy.lookup_hash(value)


class Rental(models.Model):
    """A lease of a flat: how many tenants, from when to when."""

    flat = models.ForeignKey(Flat, verbose_name=_("flat"), on_delete=models.CASCADE, related_name="rentals")
    tenant_name = models.CharField(_("tenant"), max_length=50)
    tenant_phone = models.CharField(_("tenant phone"), max_length=30, blank=True)
    tenant_count = models.PositiveSmallIntegerField(_("tenants"), default=1)
    lease_start = models.DateField(_("lease start"))
    lease_end = models.DateField(_("lease end"))

    class Meta:
        ordering = ["lease_end", "id"]
        indexes = [models.Index(fields=["lease_end"], name="people_rental_lease_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lease_end__gte=models.F("lease_start")),
                name="people_rental_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(tenant_count__gte=1), name="people_rental_has_tenants"),
        ]
        verbose_name = _("rental")
        verbose_name_plural = _("rentals")

    def __str__(self) -> str:
        return f"{self.flat} {self.lease_start:%Y-%m-%d}–{self.lease_end:%Y-%m-%d}"

    def active_on(self, day: date) -> bool:
        return self.lease_start <= day <= self.lease_end
