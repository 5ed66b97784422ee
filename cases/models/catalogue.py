"""The case catalogue, data edited in the admin: categories (大类/小类), escalation policies and their
steps, dispatch rules."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Department

from .choices import Channel, ClockType, NotifyTarget, Severity, StepAnchor, StepUntil


class Category(models.Model):
    """A 大类 (parent is empty) or 小类 of the 立结案标准 table: who handles it and in what time."""

    class Kind(models.TextChoices):
        COMPONENT = "component", _("Component (部件)")
        EVENT = "event", _("Event (事件)")

    class Evidence(models.TextChoices):
        NONE = "none", _("No photo required")
        AFTER = "after", _("Photo after handling")
        BEFORE_AFTER = "before_after", _("Photos before and after")

    parent = models.ForeignKey(
        "self",
        verbose_name=_("major category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.EVENT)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    default_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_department_kind = models.CharField(
        _("default department kind"), max_length=20, choices=Department.Kind.choices, blank=True
    )
    fallback_department_kind = models.CharField(
        _("fallback department kind"), max_length=20, choices=Department.Kind.choices, blank=True
    )
    assign_grid_worker = models.BooleanField(
        _("assign the grid's on-duty worker"),
        default=False,
        help_text=_("The on-duty grid worker of the place becomes the assignee when dispatched."),
    )
    auto_file = models.BooleanField(_("file automatically"), default=False)
    auto_dispatch = models.BooleanField(_("dispatch automatically"), default=False)
    evidence_required = models.CharField(
        _("evidence required"), max_length=12, choices=Evidence.choices, default=Evidence.AFTER
    )
    clock_type = models.CharField(
        _("clock type"), max_length=12, choices=ClockType.choices, default=ClockType.WORK_HOURS
    )
    # Minutes for the urgent and work-hour clocks, days for the work-day and natural-day clocks;
    # empty: that stage is not timed.
    file_limit = models.PositiveIntegerField(_("filing limit"), null=True, blank=True)
    dispatch_limit = models.PositiveIntegerField(_("dispatch limit"), null=True, blank=True)
    handle_limit = models.PositiveIntegerField(_("handling limit"), null=True, blank=True)
    verify_limit = models.PositiveIntegerField(_("verification limit"), null=True, blank=True)
    merge_radius_m = models.PositiveIntegerField(
        _("merge radius (m)"),
        default=50,
        help_text=_("A new report of this category this close to an open case is offered for merging."),
    )
    verify_sensor_normal_minutes = models.PositiveIntegerField(
        _("sensor normal before verification (min)"),
        default=0,
        help_text=_("For sensor cases: verification passes only when the sensor has been normal this long."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def limit_for(self, stage: str) -> int | None:
        return getattr(self, f"{stage}_limit")  # type: ignore[no-any-return]

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError(
                {"parent": _("Categories have two levels: a major category has no parent.")}
            )


def validate_channels(value: object) -> None:
    if not isinstance(value, list) or not value or any(item not in Channel.values for item in value):
        raise ValidationError(
            _("Give a list of channels among: %(channels)s.") % {"channels": ", ".join(Channel.values)}
        )


class EscalationPolicy(models.Model):
    """Who is chased, how and when, for a category and severity; copied onto a case when it starts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_policies",
        help_text=_("Empty: every category without a policy of its own."),
    )
    severity = models.CharField(
        _("severity"),
        max_length=10,
        choices=Severity.choices,
        blank=True,
        help_text=_("Empty: any severity."),
    )
    repeat_limit = models.PositiveSmallIntegerField(
        _("repeat limit"), default=0, validators=[MaxValueValidator(5)]
    )
    repeat_every_minutes = models.PositiveIntegerField(_("repeat every (min)"), default=15)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "severity"], name="escalation_policy_unique_match")
        ]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"))
    anchor = models.CharField(
        _("counted from"), max_length=10, choices=StepAnchor.choices, default=StepAnchor.START
    )
    after_minutes = models.PositiveIntegerField(_("wait (min)"), default=0)
    target = models.CharField(_("notify"), max_length=20, choices=NotifyTarget.choices)
    channels = models.JSONField(_("channels"), default=list, validators=[validate_channels])
    until = models.CharField(_("stop"), max_length=10, choices=StepUntil.choices, default=StepUntil.ACCEPTED)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="escalation_step_unique")]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self) -> str:
        return f"{self.position}: {self.get_target_display()}"


class DispatchRule(models.Model):
    """category × place → department; the most specific enabled rule wins (see services.resolve_dispatch)."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    community = models.ForeignKey(
        "grids.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.grid or self.community or '*'} → {self.department}"
