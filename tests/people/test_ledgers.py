"""Ledgers in and out: XLSX and CSV imports with a preview, per-row errors and nothing half-imported;
exports of the caller's rows, watermarked with the exporter's name."""

from datetime import timedelta
from io import BytesIO

import openpyxl
import pytest
import tablib
from django.utils import timezone

from accounts.models import User
from people import ledgers, selectors
from people.models import CarePerson, Flat, Person, Rental, Shop
from tests.factories import BuildingFactory, UserFactory
from tests.people.factories import CarePersonFactory, ContactFactory, RentalFactory

pytestmark = pytest.mark.django_db


def xlsx(headers: list[str], rows: list[list[object]]) -> bytes:
    dataset = tablib.Dataset(*rows, headers=headers)
    return dataset.export("xlsx")  # type: ignore[no-any-return]


@pytest.fixture
def place():  # type: ignore[no-untyped-def]
    building = BuildingFactory(name="3号楼")
    worker = UserFactory(role=User.Role.GRID_WORKER, first_name="网格员甲")
    building.compound.grid.workers.add(worker)
    return building, worker


def household_row(building, room: str, name: str, id_number: str = "") -> list[object]:  # type: ignore[no-untyped-def]
    return [
        building.compound.code,
        "3号楼",
        "1单元",
        room,
        "H1",
        "是",
        name,
        "户主",
        "13800001111",
        id_number,
    ]


def test_an_xlsx_with_a_bad_row_imports_nothing_and_names_the_row(place) -> None:  # type: ignore[no-untyped-def]
    building, worker = place
    content = xlsx(
        ledgers.LEDGERS["households"].headers,
        [
            household_row(building, "101", "王建国", "310109195001011234"),
            household_row(building, "102", "李秀英", "3101"),  # row 3: not an ID number
            household_row(building, "103", "张伟"),
        ],
    )
    result = ledgers.import_ledger(
        code="households", content=content, file_format="xlsx", user=worker, commit=True
    )
    assert not result.imported
    assert result.errors == [(3, "身份证号 is not a valid ID number (15 or 18 characters).")]
    assert Person.objects.count() == 0
    assert Flat.objects.count() == 0


def test_a_preview_writes_nothing_and_a_confirmed_import_writes_every_row(place) -> None:  # type: ignore[no-untyped-def]
    building, worker = place
    rows = [
        household_row(building, "101", "王建国", "31010919500101123x"),
        household_row(building, "102", "张伟"),
    ]
    content = xlsx(ledgers.LEDGERS["households"].headers, rows)
    preview = ledgers.import_ledger(
        code="households", content=content, file_format="xlsx", user=worker, commit=False
    )
    assert preview.ok
    assert [number for number, _done in preview.done] == [2, 3]
    assert Person.objects.count() == 0
    result = ledgers.import_ledger(
        code="households", content=content, file_format="xlsx", user=worker, commit=True
    )
    assert result.imported
    assert Person.objects.count() == 2
    assert selectors.people_by_id_number(worker, "31010919500101123X").get().name == "王建国"
    again = ledgers.import_ledger(
        code="households", content=content, file_format="xlsx", user=worker, commit=True
    )
    assert again.imported
    assert Person.objects.count() == 2  # the same people updated, not added twice


def test_a_building_outside_the_workers_grids_is_a_row_error(place) -> None:  # type: ignore[no-untyped-def]
    _building, worker = place
    elsewhere = BuildingFactory(name="3号楼")
    content = xlsx(ledgers.LEDGERS["households"].headers, [household_row(elsewhere, "101", "王建国")])
    result = ledgers.import_ledger(
        code="households", content=content, file_format="xlsx", user=worker, commit=True
    )
    assert result.errors[0][0] == 2
    assert "outside your area" in result.errors[0][1]


def test_rentals_import_from_csv_with_dates_and_bad_dates(place) -> None:  # type: ignore[no-untyped-def]
    building, worker = place
    headers = ledgers.LEDGERS["rentals"].headers
    good = [
        building.compound.code,
        "3号楼",
        "2单元",
        "301",
        "赵小明",
        "13912345678",
        "3",
        "2026/1/1",
        "2026-12-31",
    ]
    bad = [building.compound.code, "3号楼", "2单元", "302", "钱多多", "", "2", "2026-03-01", "2025-03-01"]
    csv = ("\ufeff" + tablib.Dataset(good, bad, headers=headers).export("csv")).encode()
    result = ledgers.import_ledger(code="rentals", content=csv, file_format="csv", user=worker, commit=True)
    assert result.errors == [(3, "租期结束 is before 租期开始.")]
    assert Rental.objects.count() == 0
    csv = ("\ufeff" + tablib.Dataset(good, headers=headers).export("csv")).encode()
    assert ledgers.import_ledger(
        code="rentals", content=csv, file_format="csv", user=worker, commit=True
    ).imported
    rental = Rental.objects.get()
    assert (rental.tenant_count, rental.lease_end.isoformat(), rental.flat.use) == (3, "2026-12-31", "rented")


def test_shops_and_care_persons_import(place) -> None:  # type: ignore[no-untyped-def]
    building, worker = place
    grid = building.compound.grid
    shops = xlsx(ledgers.LEDGERS["shops"].headers,
                 [[grid.code, "老王面馆", "餐饮", "广中路1号", "王五", "13700000000", "9131X", "2027-01-01"]])  # fmt: skip
    assert ledgers.import_ledger(
        code="shops", content=shops, file_format="xlsx", user=worker, commit=True
    ).imported
    assert Shop.objects.get().licence_expiry.isoformat() == "2027-01-01"  # type: ignore[union-attr]
    care = xlsx(ledgers.LEDGERS["care-persons"].headers,
                [[building.compound.code, "3号楼", "1单元", "101", "孙桂兰", "", "", "独居老人、残疾人", "行动不便",
                  "", "孙立新", "13987654321"],
                 [building.compound.code, "3号楼", "1单元", "102", "周强", "", "", "不存在的类别", "", "", "", ""]])  # fmt: skip
    result = ledgers.import_ledger(
        code="care-persons", content=care, file_format="xlsx", user=worker, commit=True
    )
    assert result.errors == [(3, "Unknown categories: 不存在的类别.")]
    assert CarePerson.objects.count() == 0


def test_unreadable_files_and_missing_columns_are_refused(place) -> None:  # type: ignore[no-untyped-def]
    _building, worker = place
    with pytest.raises(ledgers.LedgerError):
        ledgers.import_ledger(
            code="shops", content=b"PK\x03\x04junk", file_format="xlsx", user=worker, commit=False
        )
    with pytest.raises(ledgers.LedgerError, match="Columns missing"):
        ledgers.import_ledger(code="shops", content=xlsx(["名称"], [["x"]]), file_format="xlsx", user=worker,
                              commit=False)  # fmt: skip


def test_an_export_is_unmasked_watermarked_and_scoped(place) -> None:  # type: ignore[no-untyped-def]
    building, worker = place
    care_person = CarePersonFactory(person__household__flat__unit__building=building)
    ContactFactory(care_person=care_person)
    RentalFactory(lease_end=timezone.localdate() + timedelta(days=3))  # another grid: not exported
    content, rows = ledgers.export_ledger(code="care-persons", user=worker, file_format="xlsx")
    assert rows == 1
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]  # type: ignore[union-attr]
    assert values[0][-1] == ledgers.WATERMARK
    assert values[1][4] == "孙桂兰"
    assert values[1][-1].startswith("网格员甲（")
    csv, _rows = ledgers.export_ledger(code="rentals", user=worker, file_format="csv")
    assert csv.decode("utf-8-sig").splitlines() == [",".join([*ledgers.LEDGERS["rentals"].headers, "导出人"])]
