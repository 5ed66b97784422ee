"""A case, its events (the audit trail), its photos and the escalation steps copied onto it."""

from enum import nonmember

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .catalogue import Category, EscalationPolicy
from .choices import NotifyTarget, Severity, StepAnchor, StepUntil

# Status groups (values of Case.Status), module level so that Meta's indexes can use them; Case.Status
# names them (Case.Status.OPEN…) for the code.
OPEN_STATUSES = ("discovered", "filed", "dispatched", "in_progress", "handled", "verified", "suspended")
FINAL_STATUSES = ("closed", "rejected", "merged")
# States whose clock runs (a deadline may pass): the sweep looks only at these.
TIMED_STATUSES = ("discovered", "filed", "dispatched", "in_progress", "handled")


class Case(models.Model):
    class Source(models.TextChoices):
        SENSOR = "sensor", _("Sensor alarm")
        PATROL = "patrol", _("Patrol report")
        RESIDENT = "resident", _("Resident report")
        HOTLINE = "hotline", _("Hotline 12345")
        VIDEO = "video", _("Video / AI event")
        MANUAL = "manual", _("Manual entry")

    class Status(models.TextChoices):
        DISCOVERED = "discovered", _("Discovered")
        FILED = "filed", _("Filed")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        HANDLED = "handled", _("Handled")
        VERIFIED = "verified", _("Verified")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")
        MERGED = "merged", _("Merged")
        SUSPENDED = "suspended", _("Suspended")

        # Named groups of statuses (not members). The console receives them in its options.
        OPEN = nonmember(OPEN_STATUSES)
        FINAL = nonmember(FINAL_STATUSES)
        TIMED = nonmember(TIMED_STATUSES)
        # A handler has it: dispatched, accepted or paused.
        WORKING = nonmember(("dispatched", "in_progress", "suspended"))
        # Handled, waiting for verification or closing.
        TO_VERIFY = nonmember(("handled", "verified"))
        # Accepted by a handler and not yet closed: a step "until accepted" stops here.
        ACCEPTED = nonmember(("in_progress", "handled", "verified"))
        # The system may still chase these (not while suspended: the clock is paused, so is the chase).
        ESCALATING = nonmember((*TIMED_STATUSES, "verified"))

    class RejectReason(models.TextChoices):
        FALSE_ALARM = "false_alarm", _("False alarm")
        OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
        OTHER = "other", _("Other")

    class Evaluation(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        FAIR = "fair", _("Fair")
        POOR = "poor", _("Poor")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Idempotency of automatic sources ("alarm:<id>", "cluster:smoke:compound:<id>", "report:<id>").
    source_key = models.CharField(_("source key"), max_length=120, blank=True)
    sensor_code = models.CharField(_("sensor point"), max_length=64, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DISCOVERED)
    status_before_suspend = models.CharField(_("status before suspension"), max_length=12, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)  # from severity, for ordering
    emergency = models.BooleanField(_("emergency"), default=False)
    lat = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # the (…, status, -created_at) index below serves its lookups
    )
    community = models.ForeignKey(
        "grids.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # the (…, status, -created_at) index below serves its lookups
    )
    compound = models.ForeignKey(
        "grids.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # the (…, status, -created_at) index below serves its lookups
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        db_index=False,  # the (…, status, -created_at) index below serves its lookups
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        db_index=False,  # never looked up by this column on the hot paths; deletes are rare
    )

    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    filed_at = models.DateTimeField(_("filed"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    stage_started_at = models.DateTimeField(_("current stage started"), default=timezone.now)

    # Deadlines per stage, and the current one (for the queue and the sweep).
    file_deadline = models.DateTimeField(_("filing deadline"), null=True, blank=True)
    dispatch_deadline = models.DateTimeField(_("dispatch deadline"), null=True, blank=True)
    handle_deadline = models.DateTimeField(_("handling deadline"), null=True, blank=True)
    verify_deadline = models.DateTimeField(_("verification deadline"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    ever_overdue = models.BooleanField(_("was overdue"), default=False)

    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True)
    suspended_seconds = models.PositiveIntegerField(_("time suspended (s)"), default=0)
    paused_remaining_seconds = models.IntegerField(
        _("clock time left when suspended (s)"), null=True, blank=True
    )

    extension_until = models.DateTimeField(_("extension requested until"), null=True, blank=True)
    extension_reason = models.CharField(_("extension reason"), max_length=200, blank=True)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)

    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopenings"), default=0)
    alarm_count = models.PositiveIntegerField(pgettext_lazy("number of alarms", "alarms"), default=1)
    last_alarm_at = models.DateTimeField(_("last alarm"), null=True, blank=True)
    sensor_normal_since = models.DateTimeField(_("sensor normal since"), null=True, blank=True)

    reject_reason = models.CharField(
        _("rejection reason"), max_length=12, choices=RejectReason.choices, blank=True
    )
    evaluation = models.CharField(_("evaluation"), max_length=10, choices=Evaluation.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (stars)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.CharField(_("satisfaction comment"), max_length=500, blank=True)

    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        verbose_name=_("escalation policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # never looked up by this column on the hot paths; deletes are rare
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Lists are newest first and filtered by time: ordered by the column they filter on, a page is an
        # index range scan that stops after one page, whatever the table's size (bench/cases_api.py).
        indexes = [
            models.Index(fields=["-created_at"], name="case_created"),
            models.Index(fields=["status", "-created_at"], name="case_status_created"),
            models.Index(fields=["community", "status", "-created_at"], name="case_community_status_created"),
            models.Index(fields=["grid", "status", "-created_at"], name="case_grid_status_created"),
            models.Index(
                fields=["department", "status", "-created_at"], name="case_department_status_created"
            ),
            models.Index(fields=["assignee", "status", "-created_at"], name="case_assignee_status_created"),
            models.Index(
                fields=["sensor_code", "-created_at"],
                name="case_sensor_code",
                condition=~models.Q(sensor_code=""),
            ),
            # The escalation sweep: running clocks not yet marked overdue.
            models.Index(
                fields=["deadline"],
                name="case_deadline_pending",
                condition=models.Q(overdue=False, status__in=TIMED_STATUSES),
            ),
            # Merge candidates: open cases of a category near a point.
            models.Index(
                fields=["category", "lat", "lng"],
                name="case_open_category_place",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # The dispatcher's queue: open cases by urgency and deadline.
            models.Index(
                fields=["-emergency", "priority", "deadline"],
                name="case_open_queue",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
        ]
        constraints = [
            # One open case per automatic source (DESIGN.md rule 3: dedup with a unique constraint).
            models.UniqueConstraint(
                fields=["source_key"],
                name="case_one_open_per_source_key",
                condition=~models.Q(source_key="") & models.Q(status__in=OPEN_STATUSES),
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="case_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180),
                name="case_lat_lng_range",
            ),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.Status.OPEN

    @property
    def place(self) -> str:
        if self.compound_id and self.compound:
            return self.compound.name
        if self.grid_id and self.grid:
            return self.grid.name
        return self.address


class CaseEvent(models.Model):
    """One row per transition: the case's audit trail and timeline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_role = models.CharField(_("role"), max_length=20)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    time_used_seconds = models.PositiveIntegerField(_("time used in the stage (s)"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at")]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"


def photo_path(instance: "CasePhoto", filename: str) -> str:
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.content_type, "bin"
    )
    return f"cases/{timezone.now():%Y/%m}/{instance.case_id}-{timezone.now():%H%M%S%f}.{extension}"


class CasePhoto(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("When reported")
        BEFORE = "before", _("Before handling")
        AFTER = "after", _("After handling")
        VERIFY = "verify", _("Verification")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=photo_path)
    content_type = models.CharField(_("content type"), max_length=30)
    size = models.PositiveIntegerField(_("size (bytes)"))
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseEscalation(models.Model):
    """An escalation step copied onto a case: later edits of the policy do not change running cases."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        DONE = "done", _("Done")
        STOPPED = "stopped", _("Stopped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    position = models.PositiveSmallIntegerField(_("order"))
    anchor = models.CharField(_("counted from"), max_length=10, choices=StepAnchor.choices)
    after_minutes = models.PositiveIntegerField(_("wait (min)"))
    target = models.CharField(_("notify"), max_length=20, choices=NotifyTarget.choices)
    channels = models.JSONField(_("channels"), default=list)
    until = models.CharField(_("stop"), max_length=10, choices=StepUntil.choices)
    repeat_limit = models.PositiveSmallIntegerField(_("repeat limit"), default=0)
    repeat_every_minutes = models.PositiveIntegerField(_("repeat every (min)"), default=15)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)  # empty: waits for its anchor
    fire_count = models.PositiveSmallIntegerField(_("times fired"), default=0)
    last_fired_at = models.DateTimeField(_("last fired"), null=True, blank=True)

    class Meta:
        ordering = ["case", "position"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="caseescalation_due",
                condition=models.Q(state="waiting", due_at__isnull=False),
            )
        ]
        constraints = [models.UniqueConstraint(fields=["case", "position"], name="case_escalation_unique")]
        verbose_name = _("case escalation step")
        verbose_name_plural = _("case escalation steps")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.position} {self.target}"
