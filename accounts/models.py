"""People and departments: who works in the command center and for which unit.

Both tables keep the names they had when these models lived in command_center (db_table), so moving
them changed no table."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A unit that handles cases: a property company, urban management, fire, water, police..."""

    class Kind(models.TextChoices):
        STREET = "street", _("Street office")
        PROPERTY = "property", _("Property company")
        URBAN_MANAGEMENT = "urban_management", _("Urban management")
        FIRE = "fire", _("Fire brigade")
        WATER = "water", _("Water authority")
        POLICE = "police", _("Police")
        ENVIRONMENT = "environment", _("Environmental protection")
        HOUSING = "housing", _("Housing")
        MARKET = "market", _("Market supervision")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        db_table = "command_center_department"
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff account. Residents are anonymous and have no account."""

    class Role(models.TextChoices):
        DISPATCHER = "dispatcher", _("Dispatcher")
        GRID_WORKER = "grid_worker", _("Grid worker")
        HANDLER = "handler", _("Department handler")
        OFFICIAL = "official", _("Street official")
        ADMIN = "admin", _("Administrator")
        GATE_GUARD = "gate_guard", _("Gate guard")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.GRID_WORKER)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        db_table = "command_center_user"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def sees_whole_district(self) -> bool:
        return self.is_superuser or self.role in {self.Role.DISPATCHER, self.Role.ADMIN}


class PersonalDataAccess(models.Model):
    """One unmasked read of personal data (个人信息保护法): who read what, when and why. Written by
    accounts.privacy only, never changed; admins read it."""

    EXPORT = "export"

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="personal_data_accesses"
    )
    occurred_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)  # app_label.model, or the export
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    field = models.CharField(_("field"), max_length=40)  # name, phone, id_number or export
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self) -> str:
        return f"{self.user} {self.field} {self.object_type}#{self.object_id}"
