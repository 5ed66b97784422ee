"""The devices app's writes as other apps and their tests call them. Each lives in its concern's module:
ingest (listener batch → inbox), processing (inbox → readings → alarms), alarms.actions (people's
actions), alarms.cases (alarms → cases), alarms.sweeps (periodic sweeps, retention)."""

from .alarms.actions import AlarmStateError, acknowledge_alarm, clear_alarm, mark_false_alarm
from .alarms.cases import check_cluster, open_alarm_cases
from .alarms.sweeps import purge_old_rows, sweep_inbox, sweep_points
from .ingest import IngestResult, Received, dead_letter_raw, ingest_messages
from .processing import process_inbox

__all__ = [
    "AlarmStateError",
    "IngestResult",
    "Received",
    "acknowledge_alarm",
    "check_cluster",
    "clear_alarm",
    "dead_letter_raw",
    "ingest_messages",
    "mark_false_alarm",
    "open_alarm_cases",
    "process_inbox",
    "purge_old_rows",
    "sweep_inbox",
    "sweep_points",
]
