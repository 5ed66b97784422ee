"""Ledgers in and out (台账): households, rentals, shops and people needing care as XLSX or CSV.

An import reads every row first, then writes them all in one transaction: any row with an error (named
by its row number in the file) leaves nothing imported. A preview runs the same and rolls back. Files
carry Chinese headers, as grid workers keep them in Excel. Exports hold personal data unmasked: callers
log them (accounts.privacy.log_export) and every row carries the exporter's name (the watermark)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import tablib  # type: ignore[import-untyped]  # tablib ships no type hints
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import ledger_rows
from .ledger_rows import ImportContext, RowError

FORMATS = ("xlsx", "csv")
MAX_ROWS = 100_000
WATERMARK = "导出人"


class LedgerError(ValueError):
    """The file as a whole cannot be read (format, headers, size): 400."""


@dataclass(frozen=True)
class Ledger:
    code: str
    title: str
    headers: list[str]  # the columns of the file, in order
    required: list[str]
    import_row: Callable[[dict[str, str], ImportContext], str]  # writes one row, says what; RowError
    export_rows: Callable[[User], Iterable[list[Any]]]


LEDGERS: dict[str, Ledger] = {
    ledger.code: ledger
    for ledger in (
        Ledger("households", "住户台账", ledger_rows.HOUSEHOLD_HEADERS, ledger_rows.HOUSEHOLD_REQUIRED,
               ledger_rows.import_household_row, ledger_rows.export_households),
        Ledger("rentals", "出租房屋台账", ledger_rows.RENTAL_HEADERS, ledger_rows.RENTAL_REQUIRED,
               ledger_rows.import_rental_row, ledger_rows.export_rentals),
        Ledger("shops", "商铺台账", ledger_rows.SHOP_HEADERS, ledger_rows.SHOP_REQUIRED,
               ledger_rows.import_shop_row, ledger_rows.export_shops),
        Ledger("care-persons", "重点关爱人员台账", ledger_rows.CARE_HEADERS, ledger_rows.CARE_REQUIRED,
               ledger_rows.import_care_row, ledger_rows.export_care_persons),
    )
}  # fmt: skip


@dataclass
class ImportResult:
    ledger: Ledger
    rows: int = 0
    done: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, what was done)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, message)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def read_file(content: bytes, file_format: str) -> tablib.Dataset:
    if file_format not in FORMATS:
        raise LedgerError(_("Send an XLSX or CSV file."))
    try:
        if file_format == "csv":
            text = content.decode("utf-8-sig")  # Excel writes a BOM before UTF-8 CSV
            return tablib.Dataset().load(text, format="csv")
        return tablib.Dataset().load(content, format="xlsx")
    except (UnicodeDecodeError, ValueError, KeyError, OSError, tablib.UnsupportedFormat) as error:
        raise LedgerError(
            _("The file could not be read as %(format)s.") % {"format": file_format.upper()}
        ) from error
    except Exception as error:  # openpyxl raises zipfile and XML errors of its own for a damaged workbook
        raise LedgerError(
            _("The file could not be read as %(format)s.") % {"format": file_format.upper()}
        ) from error


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(ledger: Ledger, dataset: tablib.Dataset) -> list[dict[str, str]]:
    headers = [_text(header) for header in dataset.headers or []]
    missing = [name for name in ledger.required if name not in headers]
    if missing:
        raise LedgerError(_("Columns missing: %(columns)s.") % {"columns": "、".join(missing)})
    if dataset.height > MAX_ROWS:
        raise LedgerError(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    return [dict(zip(headers, (_text(value) for value in row), strict=False)) for row in dataset]


class _Rollback(Exception):
    """Raised inside the transaction to undo a preview or a file with errors."""


def import_ledger(*, code: str, content: bytes, file_format: str, user: User, commit: bool) -> ImportResult:
    """Read every row and write it; with errors or without `commit`, nothing stays (one transaction)."""
    ledger = LEDGERS[code]
    records = _records(ledger, read_file(content, file_format))
    result = ImportResult(ledger=ledger, rows=len(records))
    context = ImportContext(user=user)
    try:
        with transaction.atomic():
            for number, record in enumerate(records, start=2):  # row 1 holds the headers
                if not any(record.values()):
                    continue
                try:
                    with transaction.atomic():  # a failed row's savepoint, so the next rows still check
                        result.done.append((number, ledger.import_row(record, context)))
                except RowError as error:
                    result.errors.append((number, str(error)))
                    context.forget()
                except (ValidationError, IntegrityError) as error:
                    result.errors.append((number, _explain(error)))
                    context.forget()
            if result.errors or not commit:
                raise _Rollback
    except _Rollback:
        return result
    result.imported = True
    return result


def _explain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return (
            "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
            if hasattr(error, "error_dict")
            else " ".join(error.messages)
        )
    return _("This row conflicts with a stored one.")


def export_ledger(*, code: str, user: User, file_format: str) -> tuple[bytes, int]:
    """The ledger of the caller's scope as a file, every row watermarked with the exporter and the time."""
    if file_format not in FORMATS:
        raise LedgerError(_("Send an XLSX or CSV file."))
    ledger = LEDGERS[code]
    mark = f"{user.get_full_name() or user.username}（{user.username}）{timezone.localtime():%Y-%m-%d %H:%M}"
    dataset = tablib.Dataset(headers=[*ledger.headers, WATERMARK], title=ledger.title)
    for row in ledger.export_rows(user):
        dataset.append([*row, mark])
    if file_format == "csv":
        return ("\ufeff" + dataset.export("csv")).encode(), dataset.height
    return dataset.export("xlsx"), dataset.height
