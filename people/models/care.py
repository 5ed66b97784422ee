"""People needing care (重点关爱人员): categories as data with a visit interval each, the person's care
details, guardians and contacts, and the visits their grid worker records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .places import Person


class CareCategory(models.Model):
    """独居老人, 残疾人, 困境儿童…: rows an admin edits, each with how often its people are visited."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    visit_interval_days = models.PositiveSmallIntegerField(_("visit every (days)"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visit_interval_days__gte=1), name="people_category_interval"
            )
        ]
        verbose_name = _("care category")
        verbose_name_plural = _("care categories")

    def __str__(self) -> str:
        return self.name


class CarePerson(models.Model):
    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="care"
    )
    categories = models.ManyToManyField(CareCategory, verbose_name=_("categories"), related_name="people")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible grid worker"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="care_people",
    )  # fmt: skip
    needs = models.TextField(_("needs"), blank=True)  # what helpers must know: mobility, hearing, diet…
    medicines = models.TextField(_("medicines"), blank=True)
    active = models.BooleanField(_("followed"), default=True)
    since = models.DateTimeField(_("followed since"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("person needing care")
        verbose_name_plural = _("people needing care")

    def __str__(self) -> str:
        return str(self.person)


class Contact(models.Model):
    """A guardian (监护人) or another contact of a person needing care, first to call in an emergency."""

    class Kind(models.TextChoices):
        GUARDIAN = "guardian", _("Guardian")
        CONTACT = "contact", _("Contact")

    care_person = models.ForeignKey(
        CarePerson, verbose_name=_("person needing care"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GUARDIAN)
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=30)

    class Meta:
        ordering = ["care_person", "kind", "id"]
        verbose_name = _("guardian or contact")
        verbose_name_plural = _("guardians and contacts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Visit(models.Model):
    """A visit recorded from the phone: when, where the phone was (the place check), a note, a photo."""

    care_person = models.ForeignKey(
        CarePerson, verbose_name=_("person needing care"), on_delete=models.CASCADE, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        related_name="care_visits",
    )
    visited_at = models.DateTimeField(_("visited at"))
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    distance_m = models.FloatField(_("distance from the building (m)"), null=True, blank=True)
    place_checked = models.BooleanField(_("place checked"), default=False)
    note = models.TextField(_("note"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="people/visits/%Y/", blank=True)

    class Meta:
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["care_person", "visited_at"], name="people_visit_person_time")]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.care_person} {self.visited_at:%Y-%m-%d %H:%M}"
