"""The drill flag: cases created as drills run the workflow like any other and are never counted."""

import pytest

from cases.defaults import ensure_default_catalogue
from cases.services import create_case
from stats import kpis
from stats.filters import district_cases
from stats.periods import period_of
from tests.cases.conftest import make_place

pytestmark = pytest.mark.django_db


def test_a_drill_case_runs_the_workflow_and_the_statistics_leave_it_out():
    ensure_default_catalogue()
    place = make_place()
    west, south = place.grid.boundary["coordinates"][0][0]
    where = {"category_code": "waterlogging", "lat": south + 0.0003, "reporter": place.grid_worker}
    drill = create_case(source="patrol", lng=west + 0.0003, drill=True, **where)
    real = create_case(source="patrol", lng=west + 0.0009, **where)
    assert (drill.drill, real.drill) == (True, False)
    assert drill.status == real.status == "dispatched"
    today = period_of("day", drill.created_at.astimezone().date())
    scope = district_cases()
    assert kpis.reporting(scope.cases, today)["reported"] == 1
    assert kpis.workflow_steps(scope.events, today)["dispatched"] == 1
