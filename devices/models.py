"""Scenes (应用场景), sensor points, the ingest inbox, dead letters, readings and alarms.

Flow (DESIGN.md): the MQTT listener stores each valid message once in `Inbox` (unique device code +
message id) or a bad one in `DeadLetter`; `process_inbox` turns inbox rows into `Reading`s, evaluates
the scene's rule and raises or updates `Alarm`s, which open or update cases through the cases app.
Alarm rows are only written while holding their point's row lock (devices/alarms/changes.py).
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Severity

from .mqtt.payloads import DEVICE_CODE_RE, MAX_PAYLOAD_BYTES
from .mqtt.payloads import Reason as PayloadReason


class Comparison(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"
    EQ = "eq", "="


class AcousticZone(models.TextChoices):
    """GB 3096-2008 acoustic environment function zones (声环境功能区)."""

    ZONE_0 = "0", _("Class 0 (convalescent areas)")
    ZONE_1 = "1", _("Class 1 (residential, education)")
    ZONE_2 = "2", _("Class 2 (mixed residential and commercial)")
    ZONE_3 = "3", _("Class 3 (industrial)")
    ZONE_4A = "4a", _("Class 4a (road side)")
    ZONE_4B = "4b", _("Class 4b (railway side)")


def validate_months(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(m, int) and 1 <= m <= 12 for m in value):
        raise ValidationError(_("Active months must be a list of month numbers 1-12 (empty: every month)."))


def validate_zone_thresholds(value: object) -> None:
    message = _('Zone limits look like {"1": {"day": 55, "night": 45}} with zones from GB 3096.')
    if not isinstance(value, dict):
        raise ValidationError(message)
    for zone, limits in value.items():
        if zone not in AcousticZone.values or not isinstance(limits, dict):
            raise ValidationError(message)
        if set(limits) - {"day", "night"} or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in limits.values()
        ):
            raise ValidationError(message)


class Scene(models.Model):
    """A catalogue row per application scene: which sensor type, when it is on, what it opens.

    Rule: a reading of `sensor_type` is abnormal when `value <comparison> threshold` (the point's own
    threshold, the acoustic zone's day/night limit or the scene's night threshold take precedence, in
    that order); an alarm is raised when the abnormal state lasted `dwell_seconds` and occurred
    `repeat_count` times within `repeat_window_seconds`; it clears after `clear_after_seconds` of normal
    readings. Outside the active hours and months readings are stored but raise nothing.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # A protocol `type` (smoke, water_pressure, ...): new types come from this catalogue, not code.
    sensor_type = models.SlugField(_("sensor type"), max_length=40)
    enabled = models.BooleanField(_("enabled"), default=True)
    retired_at = models.DateTimeField(
        _("retired"),
        null=True,
        blank=True,
        help_text=_("A retired scene raises nothing and takes no new points."),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MAJOR
    )
    case_category_code = models.CharField(_("case category"), max_length=40, blank=True)

    comparison = models.CharField(
        _("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.GTE
    )
    threshold = models.FloatField(
        _("threshold"), null=True, blank=True, help_text=_("Empty: readings are stored, no alarm is raised.")
    )
    night_threshold = models.FloatField(_("night threshold"), null=True, blank=True)
    zone_thresholds = models.JSONField(
        _("limits by acoustic zone"),
        default=dict,
        blank=True,
        validators=[validate_zone_thresholds],
        help_text=_('Noise limits per GB 3096 zone, e.g. {"1": {"day": 55, "night": 45}}.'),
    )
    night_starts = models.TimeField(_("night starts"), default=dt.time(22, 0))
    night_ends = models.TimeField(_("night ends"), default=dt.time(6, 0))
    active_from = models.TimeField(_("active from"), null=True, blank=True)
    active_until = models.TimeField(
        _("active until"), null=True, blank=True, help_text=_("Both empty: all day. May wrap past midnight.")
    )
    active_months = models.JSONField(
        _("active months"),
        default=list,
        blank=True,
        validators=[validate_months],
        help_text=_("Month numbers, e.g. [6, 7, 8, 9]; empty: every month."),
    )
    dwell_seconds = models.PositiveIntegerField(
        _("dwell (s)"), default=0, help_text=_("The abnormal state must last this long before an alarm.")
    )
    repeat_count = models.PositiveSmallIntegerField(
        _("repeat count"), default=1, validators=[MinValueValidator(1)]
    )
    repeat_window_seconds = models.PositiveIntegerField(_("repeat window (s)"), default=0)
    clear_after_seconds = models.PositiveIntegerField(
        _("clear after (s)"), default=0, help_text=_("Back to normal for this long clears the alarm.")
    )
    cluster_points = models.PositiveSmallIntegerField(
        _("cluster: points"),
        default=0,
        help_text=_(
            "This many points of one compound alarming within the window open an emergency case; 0: off."
        ),
    )
    cluster_window_seconds = models.PositiveIntegerField(_("cluster window (s)"), default=300)
    cluster_category_code = models.CharField(_("cluster case category"), max_length=40, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(repeat_count__gte=1), name="scene_repeat_count_positive"
            ),
        ]
        verbose_name = _("scene")
        verbose_name_plural = _("scenes")

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.enabled and self.retired_at is None


device_code_validator = RegexValidator(
    DEVICE_CODE_RE, _("1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
)


class SensorPoint(models.Model):
    """A registered sensor at a place; its code is the device code in the MQTT topic and its username."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MAINTENANCE = "maintenance", _("Maintenance")
        RETIRED = "retired", _("Retired")

    # Unique by a constraint (Meta), not unique=True: on PostgreSQL that would add a second, LIKE index.
    code = models.CharField(_("code"), max_length=64, validators=[device_code_validator])
    scene = models.ForeignKey(Scene, verbose_name=_("scene"), on_delete=models.PROTECT, related_name="points")
    sensor_type = models.SlugField(_("sensor type"), max_length=40)
    lat = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
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
        db_index=False,  # fewer indexes: a 400,000-row import and every message's update pay for each
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="points",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    heartbeat_interval = models.PositiveIntegerField(
        _("heartbeat interval (s)"), default=300, validators=[MinValueValidator(10)]
    )
    threshold = models.FloatField(
        _("own threshold"),
        null=True,
        blank=True,
        help_text=_("Overrides the scene's threshold for this point."),
    )
    acoustic_zone = models.CharField(
        _("acoustic zone"), max_length=2, choices=AcousticZone.choices, blank=True
    )
    # Mosquitto's own hash format ($7$: PBKDF2-SHA512), so the password file is a dump of this column.
    mqtt_password_hash = models.CharField(_("MQTT password hash"), max_length=200, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    offline_after = models.DateTimeField(
        _("offline after"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Last seen + 3 heartbeat intervals."),
    )
    battery = models.PositiveSmallIntegerField(_("battery %"), null=True, blank=True)
    # Device time of the message `battery` came from: an older message does not overwrite it.
    battery_at = models.DateTimeField(_("battery reported"), null=True, blank=True, editable=False)
    # Rule state, kept by the ingest service (device time of the readings).
    last_reading_at = models.DateTimeField(_("last reading"), null=True, blank=True, editable=False)
    last_value = models.FloatField(_("last value"), null=True, blank=True, editable=False)
    abnormal_since = models.DateTimeField(_("abnormal since"), null=True, blank=True, editable=False)
    normal_since = models.DateTimeField(_("normal since"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["grid", "status"]),
            models.Index(
                fields=["abnormal_since"],
                condition=models.Q(abnormal_since__isnull=False),
                name="point_abnormal_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="point_unique_code"),
            models.CheckConstraint(condition=models.Q(battery__lte=100), name="point_battery_percent"),
        ]
        verbose_name = _("sensor point")
        verbose_name_plural = _("sensor points")

    def __str__(self) -> str:
        return self.code

    @property
    def has_credentials(self) -> bool:
        return bool(self.mqtt_password_hash)


class Inbox(models.Model):
    """A valid message, stored exactly once (device code + message id) before the broker gets its PUBACK."""

    device_code = models.CharField(_("device code"), max_length=64)
    msg_id = models.CharField(_("message id"), max_length=64)
    # No FK constraint: the listener's insert must not lock or wait on the point row.
    point = models.ForeignKey(
        SensorPoint,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("point"),
    )
    ts = models.DateTimeField(_("time"))
    type = models.CharField(_("type"), max_length=40)
    value = models.FloatField(_("value"), null=True)
    battery = models.PositiveSmallIntegerField(_("battery %"), null=True)
    received_at = models.DateTimeField(_("received"))
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        # No index may mention processed_at: its mark is then a HOT update, in place on the row's page
        # (fillfactor 50 leaves the room, migration 0002), where an index on it cost PostgreSQL a new
        # row version and two index entries a message. The sweeper finds rows left behind from
        # InboxSweepMark instead.
        constraints = [models.UniqueConstraint(fields=["device_code", "msg_id"], name="inbox_unique_message")]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox")

    def __str__(self) -> str:
        return f"{self.device_code}/{self.msg_id}"


class InboxSweepMark(models.Model):
    """The inbox sweeper's progress (one row): every inbox row up to `checked_through` is processed.

    `horizon_id` is the inbox's id sequence as one sweep read it, at `horizon_at`; once no transaction
    older than that is still open, every row up to it is committed (or never will be) and the next
    sweep may move `checked_through` that far (services.sweep_inbox).
    """

    checked_through = models.BigIntegerField(_("checked through id"), default=0)
    horizon_id = models.BigIntegerField(_("horizon id"), default=0)
    horizon_at = models.DateTimeField(_("horizon read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox sweep mark")
        verbose_name_plural = _("inbox sweep mark")

    def __str__(self) -> str:
        return f"inbox checked through {self.checked_through}"


class DeadLetter(models.Model):
    """A message that could not be accepted, with the reason: its first 4 KiB byte for byte (all of a
    message within the protocol's limit), its full size and SHA-256, so an oversized one (up to the broker's
    packet limit) costs 4 KiB here and still identifies what was sent."""

    KEPT_BYTES = MAX_PAYLOAD_BYTES

    class Reason(models.TextChoices):
        OVERSIZE = PayloadReason.OVERSIZE.value, _("Over 4 KiB")
        BAD_TOPIC = PayloadReason.BAD_TOPIC.value, _("Bad topic")
        MALFORMED_JSON = PayloadReason.MALFORMED_JSON.value, _("Malformed JSON")
        MISSING_FIELD = PayloadReason.MISSING_FIELD.value, _("Missing field")
        WRONG_TYPE = PayloadReason.WRONG_TYPE.value, _("Wrongly typed field")
        BAD_VALUE = PayloadReason.BAD_VALUE.value, _("Impossible value")
        BAD_TIMESTAMP = PayloadReason.BAD_TIMESTAMP.value, _("Bad timestamp")
        TS_OUT_OF_RANGE = PayloadReason.TS_OUT_OF_RANGE.value, _("Timestamp out of range")
        UNKNOWN_TYPE = PayloadReason.UNKNOWN_TYPE.value, _("Unknown type")
        TOPIC_MISMATCH = PayloadReason.TOPIC_MISMATCH.value, _("Topic does not match the device")
        UNKNOWN_DEVICE = PayloadReason.UNKNOWN_DEVICE.value, _("Unknown device")
        INACTIVE_DEVICE = PayloadReason.INACTIVE_DEVICE.value, _("Inactive device")
        PROCESSING_FAILED = PayloadReason.PROCESSING_FAILED.value, _("Processing failed repeatedly")

    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    topic = models.TextField(_("topic"))
    device_code = models.CharField(_("device code"), max_length=64, blank=True)
    payload = models.BinaryField(_("payload"), help_text=_("The first 4 KiB."))
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received"))

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["received_at"]), models.Index(fields=["reason", "received_at"])]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")

    def __str__(self) -> str:
        return f"{self.reason} {self.topic}"

    @classmethod
    def of(cls, *, payload: bytes, **fields: object) -> "DeadLetter":
        """A new dead letter of `payload`: the kept bytes, the size and the hash (the one constructor)."""
        return cls(
            payload=payload[: cls.KEPT_BYTES],
            size=len(payload),
            sha256=hashlib.sha256(payload).hexdigest(),
            **fields,
        )

    @property
    def truncated(self) -> bool:
        return self.size > len(self.payload)


class Reading(models.Model):
    """One measurement. A time series: no foreign keys point here, (point, ts) is the access path, rows
    older than settings.READINGS_RETENTION_DAYS are purged (ready for monthly partitions by ts)."""

    point = models.ForeignKey(
        SensorPoint,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("point"),
    )
    ts = models.DateTimeField(_("time"))
    type = models.CharField(_("type"), max_length=40)
    value = models.FloatField(_("value"))
    abnormal = models.BooleanField(_("abnormal"), default=False)

    class Meta:
        indexes = [models.Index(fields=["point", "ts"], name="reading_point_ts_idx")]
        verbose_name = _("reading")
        verbose_name_plural = _("readings")

    def __str__(self) -> str:
        return f"{self.point_id} {self.type}={self.value} @ {self.ts:%Y-%m-%d %H:%M:%S}"


class Alarm(models.Model):
    """One active alarm per point and type (partial unique index); repeats raise `count`."""

    OFFLINE = "offline"
    LOW_BATTERY = "low_battery"

    class ClearReason(models.TextChoices):
        RECOVERED = "recovered", _("Back to normal")
        MANUAL = "manual", _("Cleared by hand")
        FALSE_ALARM = "false_alarm", _("False alarm")

    # Indexed by alarm_point_raised_idx (point, type, raised_at).
    point = models.ForeignKey(
        SensorPoint, verbose_name=_("point"), on_delete=models.CASCADE, related_name="alarms", db_index=False
    )
    scene = models.ForeignKey(
        Scene,
        verbose_name=_("scene"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )
    # The reading type for scene rules, or OFFLINE / LOW_BATTERY for device health.
    type = models.CharField(_("type"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    count = models.PositiveIntegerField(_("count"), default=1)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clear_reason = models.CharField(_("clear reason"), max_length=12, choices=ClearReason.choices, blank=True)
    flapping = models.BooleanField(_("flapping"), default=False)
    false_alarm = models.BooleanField(_("false alarm"), default=False)
    # The case lives in the cases app: a plain id, never a foreign key across the app boundary.
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    case_pending = models.BooleanField(_("case update pending"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "type"], condition=models.Q(cleared_at__isnull=True), name="alarm_one_active"
            ),
            models.CheckConstraint(
                condition=models.Q(last_seen__gte=models.F("first_seen")), name="alarm_seen_order"
            ),
        ]
        indexes = [
            models.Index(fields=["point", "type", "raised_at"], name="alarm_point_raised_idx"),
            models.Index(fields=["scene", "raised_at"], name="alarm_scene_raised_idx"),
            models.Index(
                fields=["raised_at"], condition=models.Q(case_pending=True), name="alarm_case_pending_idx"
            ),
        ]
        # A context of its own: "alarms" is also the case's alarm count (报警次数), a different word.
        verbose_name = pgettext_lazy("alarm model", "alarm")
        verbose_name_plural = pgettext_lazy("alarm model", "alarms")

    def __str__(self) -> str:
        return f"{self.point_id} {self.type} ×{self.count}"

    @property
    def status(self) -> str:
        if self.cleared_at is not None:
            return "cleared"
        return "acknowledged" if self.acknowledged_at is not None else "active"
