"""The choices the case models share: severity, clocks and stages, and who an escalation step notifies
by which channel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
