"""Residents: public reports without an account, followed by a tracking code, rated after closing.

A report opens a case through cases.services (source `resident`) or joins an open one nearby (the
case then counts its reporters here). The case's workflow stays in cases; what is the resident's own
(the tracking code, the phone, the rating, the community's call-back) lives here.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublicCategory(models.Model):
    """A case category residents may choose, with its icon: the resident-facing part of the catalogue."""

    category = models.OneToOneField(
        "cases.Category", verbose_name=_("case category"), on_delete=models.CASCADE, related_name="+"
    )
    icon = models.CharField(_("icon"), max_length=8, help_text=_("An emoji shown on the report page."))
    hint = models.CharField(_("hint"), max_length=100, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("resident category")
        verbose_name_plural = _("resident categories")

    def __str__(self) -> str:
        return f"{self.icon} {self.category}"


class ResidentReport(models.Model):
    """One resident's report: the case it opened or joined, and what only this resident knows."""

    class Channel(models.TextChoices):
        WEB = "web", _("Report page or API")
        OPEN311 = "open311", _("Open311 client")

    tracking_code = models.CharField(_("tracking code"), max_length=10, unique=True)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+")
    joined = models.BooleanField(
        _("joined an open case"), default=False, help_text=_("Added to an open case of the same problem.")
    )
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "created_at"], name="residentreport_case")]
        verbose_name = _("resident report")
        verbose_name_plural = _("resident reports")

    def __str__(self) -> str:
        return self.tracking_code


def report_photo_path(instance: "ReportPhoto", filename: str) -> str:
    return f"residents/{timezone.now():%Y/%m}/{instance.report_id}-{timezone.now():%H%M%S%f}.jpg"


class ReportPhoto(models.Model):
    """A photo of a report that joined an open case (a new case keeps its photos as case photos)."""

    report = models.ForeignKey(ResidentReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to=report_photo_path)
    content_type = models.CharField(_("content type"), max_length=30)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")

    def __str__(self) -> str:
        return f"{self.report_id} {self.pk}"


class Rating(models.Model):
    """A resident's stars for a closed case; one per report and closing (a reopened case may be rated
    again when it closes again)."""

    report = models.ForeignKey(ResidentReport, on_delete=models.CASCADE, related_name="ratings")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    closing = models.PositiveSmallIntegerField(_("closing"), default=0)  # the case's reopen count then
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    reopened = models.BooleanField(_("reopened the case"), default=False)
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "closing"], name="rating_once_per_closing"),
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="rating_1_to_5"),
        ]
        verbose_name = _("resident rating")
        verbose_name_plural = _("resident ratings")

    def __str__(self) -> str:
        return f"{self.report} {self.stars}★"


class CallbackTask(models.Model):
    """The community calls an unhappy resident back (a rating of 2 stars or less reopened the case)."""

    class Status(models.TextChoices):
        OPEN = "open", _("To call back")
        DONE = "done", _("Called back")

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="callback")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "grids.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["status", "-created_at"]
        verbose_name = _("call-back task")
        verbose_name_plural = _("call-back tasks")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_status_display()}"


class Open311Client(models.Model):
    """A registered Open311 application (an `api_key`): posts beyond the anonymous rate limit."""

    name = models.CharField(_("name"), max_length=100)
    key_digest = models.CharField(_("key (SHA-256)"), max_length=64, unique=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 application")
        verbose_name_plural = _("Open311 applications")

    def __str__(self) -> str:
        return self.name


class Mediator(models.Model):
    """Someone who mediates disputes: a volunteer (热心调解人) or a member of staff."""

    class Kind(models.TextChoices):
        VOLUNTEER = "volunteer", _("Volunteer mediator")
        STAFF = "staff", _("Staff")

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VOLUNTEER)
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    community = models.ForeignKey(
        "grids.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")

    def __str__(self) -> str:
        return self.name


class MediationOrder(models.Model):
    """A dispute mediation (矛盾纠纷调解): parties, sessions, the outcome, a follow-up visit 30 days on."""

    class Type(models.TextChoices):
        NOISE = "noise", _("Neighbour noise")
        WATER_LEAK = "water_leak", _("Water leak")
        PARKING = "parking", _("Parking")
        PROPERTY_FEE = "property_fee", _("Property fee")
        RENOVATION = "renovation", _("Renovation")
        FAMILY = "family", _("Family")
        OTHER = "other", _("Other")

    class Level(models.TextChoices):
        COMMUNITY = "community", _("Community")
        STREET = "street", _("Street")
        COMMITTEE = "committee", _("Referred to the people's mediation committee")

    class Status(models.TextChoices):
        OPEN = "open", _("Being mediated")
        AGREED = "agreed", _("Agreement reached")
        REFERRED = "referred", _("Not reached, referred")

    class FollowUp(models.TextChoices):
        HELD = "held", _("The agreement holds")
        BROKEN = "broken", _("The dispute is back")

    type = models.CharField(_("type"), max_length=15, choices=Type.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.COMMUNITY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    summary = models.TextField(_("what the dispute is about"))
    community = models.ForeignKey(
        "grids.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    report = models.ForeignKey(
        ResidentReport, verbose_name=_("resident report"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="mediations",
    )  # fmt: skip
    mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    agreement = models.TextField(_("agreement"), blank=True)
    agreement_pdf = models.FileField(_("agreement document"), upload_to="mediation/%Y/%m/", blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    outcome_at = models.DateTimeField(_("outcome"), null=True, blank=True)
    follow_up_due = models.DateField(_("follow-up visit due"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    follow_up = models.CharField(_("follow-up result"), max_length=10, choices=FollowUp.choices, blank=True)
    follow_up_note = models.TextField(_("follow-up note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mediation order")
        verbose_name_plural = _("mediation orders")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_type_display()}"


class Party(models.Model):
    class Side(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")

    order = models.ForeignKey(MediationOrder, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["order", "side", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    order = models.ForeignKey(MediationOrder, on_delete=models.CASCADE, related_name="sessions")
    at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=100)
    attendees = models.CharField(_("attendees"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["order", "at", "id"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")

    def __str__(self) -> str:
        return f"{self.order_id} {self.at:%Y-%m-%d}"
