"""ensure_default_catalogue(): idempotent, never overwrites an admin's edits, seeds what sensors need."""

from datetime import date

from cases.defaults import SENSOR_CATEGORY_CODES, ensure_default_catalogue
from cases.models import CalendarDay, CalendarYear, Category, EscalationPolicy, EscalationStep
from cases.selectors import calendar_spec, clear_calendar_cache


def test_idempotent_and_respects_edits(db) -> None:  # type: ignore[no-untyped-def]
    ensure_default_catalogue()
    counts = [
        m.objects.count() for m in (Category, CalendarYear, CalendarDay, EscalationPolicy, EscalationStep)
    ]
    Category.objects.filter(code="fire-smoke").update(handle_limit=20)
    ensure_default_catalogue()
    assert [
        m.objects.count() for m in (Category, CalendarYear, CalendarDay, EscalationPolicy, EscalationStep)
    ] == (counts)
    assert Category.objects.get(code="fire-smoke").handle_limit == 20
    assert set(SENSOR_CATEGORY_CODES) <= set(Category.objects.values_list("code", flat=True))
    assert Category.objects.filter(parent__isnull=True).count() >= 6  # 大类
    assert not CalendarYear.objects.filter(checked=True).exists()  # to be checked against the notice


def test_the_seeded_calendar_knows_2026(db) -> None:  # type: ignore[no-untyped-def]
    ensure_default_catalogue()
    clear_calendar_cache()
    spec = calendar_spec()
    assert not spec.is_workday(date(2026, 2, 17))  # 春节
    assert spec.is_workday(date(2026, 2, 14))  # Saturday, make-up workday
    assert not spec.is_workday(date(2026, 10, 1))
    assert spec.is_workday(date(2026, 9, 20))  # Sunday, make-up workday
    assert spec.is_workday(date(2026, 11, 23))  # an ordinary Monday
