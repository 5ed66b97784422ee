"""Cases: the closed loop discover → file → dispatch → handle → verify → close (issue 4).

Catalogue (categories, work calendar, escalation policies, dispatch rules) is data edited in the admin;
the case machine is in workflow.py (the only code that assigns `Case.status`), deadline arithmetic in
calendar.py, writes in services.py, reads in selectors.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from command_center.models import Department


class Severity(models.TextChoices):
    # The same values as devices.models.Severity (cases does not import devices: apps depend one way).
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    WARNING = "warning", _("Warning")


# Queue order: lower is more urgent.
SEVERITY_PRIORITY = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2, Severity.WARNING: 3}


class ClockType(models.TextChoices):
    URGENT = "urgent", _("Urgent (continuous, minutes)")
    WORK_HOURS = "work_hours", _("Work hours (minutes of work time)")
    WORK_DAYS = "work_days", _("Work days")
    NATURAL_DAYS = "natural_days", _("Natural days")


class Stage(models.TextChoices):
    FILE = "file", _("Filing")
    DISPATCH = "dispatch", _("Dispatch")
    HANDLE = "handle", _("Handling")
    VERIFY = "verify", _("Verification")


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


class WorkCalendar(models.Model):
    """Work time: a morning and an afternoon window on work days; holidays and 调休 per year as data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    morning_start = models.TimeField(_("morning starts"), default="08:30")
    morning_end = models.TimeField(_("morning ends"), default="12:00")
    afternoon_start = models.TimeField(_("afternoon starts"), default="13:00")
    afternoon_end = models.TimeField(_("afternoon ends"), default="17:00")
    workweek = models.CharField(
        _("work weekdays"), max_length=7, default="12345", help_text=_("ISO weekday digits, 1 = Monday.")
    )

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValidationError(
                _("Work windows must be in order: morning start < end ≤ afternoon start < end.")
            )
        if not self.workweek or any(ch not in "1234567" for ch in self.workweek):
            raise ValidationError({"workweek": _("Use ISO weekday digits 1-7, e.g. 12345.")})


class CalendarYear(models.Model):
    """One year of the State Council's holiday notice (国务院办公厅关于节假日安排的通知)."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    checked = models.BooleanField(
        _("checked against the annual notice"),
        default=False,
        help_text=_("Tick once the days below were compared with the State Council's notice for this year."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "year"]
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year_unique")]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return f"{self.calendar} {self.year}"


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up workday (调休)")

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["year", "date"], name="calendar_day_unique")]
        verbose_name = _("holiday or make-up workday")
        verbose_name_plural = _("holidays and make-up workdays")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.year_id and self.date and self.date.year != self.year.year:
            raise ValidationError({"date": _("The date is not in %(year)s.") % {"year": self.year.year}})


class NotifyTarget(models.TextChoices):
    ASSIGNEE = "assignee", _("Assignee")
    DEPARTMENT = "department", _("Members of the assigned department")
    GRID_WORKER = "grid_worker", _("On-duty grid worker")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    DUTY_CHIEF = "duty_chief", _("Duty chief")
    STREET_LEADER = "street_leader", _("Street leader")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("WeCom/DingTalk webhook")


class StepAnchor(models.TextChoices):
    START = "start", _("after the case starts")
    OVERDUE = "overdue", _("after the current stage is overdue")


class StepUntil(models.TextChoices):
    ACCEPTED = "accepted", _("until accepted")
    CLOSED = "closed", _("until closed")


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


# Status groups (values of Case.Status), module level so that Meta's indexes can use them.
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
    filed_at = models.DateTimeField(_("filed"), null=True, blank=True, db_index=True)  # statistics by period
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    accepted_at = models.DateTimeField(
        _("accepted"), null=True, blank=True, db_index=True
    )  # statistics by period
    handled_at = models.DateTimeField(
        _("handled"), null=True, blank=True, db_index=True
    )  # statistics by period
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed"), null=True, blank=True, db_index=True
    )  # statistics by period
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
    # Drills, tests and benchmarks: the statistics never count them. A database default too, so that
    # loaders writing rows with COPY (bench/cases_api.py) need not name the column.
    drill = models.BooleanField(_("drill"), default=False, db_default=False, db_index=True)

    OPEN_STATUSES = OPEN_STATUSES
    FINAL_STATUSES = FINAL_STATUSES
    TIMED_STATUSES = TIMED_STATUSES

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
            # The overdue list and counts (statistics): running stages past their deadline.
            models.Index(
                fields=["deadline"],
                name="case_overdue_running",
                condition=models.Q(overdue=True, status__in=TIMED_STATUSES),
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
        return self.status in self.OPEN_STATUSES

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
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at"),
            models.Index(fields=["at"], name="caseevent_at"),  # statistics: the steps taken in a period
        ]
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


class Notification(models.Model):
    """The outbox: a message to one person by one channel, sent by a Celery task, every attempt recorded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    escalation = models.ForeignKey(
        CaseEscalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)  # phone, e-mail or webhook URL
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=5)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    idempotency_key = models.CharField(_("idempotency key"), max_length=150, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_pending", condition=models.Q(status="pending")
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient or self.address}: {self.subject}"


class NotificationAttempt(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("time"), default=timezone.now)
    provider = models.CharField(_("provider"), max_length=200)
    ok = models.BooleanField(_("succeeded"))
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("notification attempt")
        verbose_name_plural = _("notification attempts")

    def __str__(self) -> str:
        return f"{self.notification_id} {'ok' if self.ok else 'failed'} {self.at:%H:%M:%S}"


class IdempotentRequest(models.Model):
    """The first answer to a write sent with an Idempotency-Key header, kept a day (cases/idempotency.py).

    The unique (user, key) decides between concurrent duplicates: the second waits for the first to
    commit, then gets its answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)  # SHA-256 of method, path, body
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)  # set before commit
    body = models.JSONField(_("answer"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key")]
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.method} {self.path}"


def _clear_catalogue_cache(**kwargs: object) -> None:
    from .catalogue import clear_catalogue_cache

    clear_catalogue_cache()


# New cases read categories (with their default departments) and escalation policies from a per-process
# cache (catalogue.cached_catalogue): an edit in this process clears it at once, other processes reload
# it within a minute.
for _sender in (Category, EscalationPolicy, EscalationStep, "accounts.Department"):
    for _signal in (post_save, post_delete):
        _signal.connect(_clear_catalogue_cache, sender=_sender, weak=False)
