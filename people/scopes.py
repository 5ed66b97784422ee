"""How each people model reaches a grid, for grids/scoping.py: a grid worker sees their grids' rows."""

from grids.scoping import ScopePaths

_FLAT_GRID = "unit__building__compound__grid"

BUILDING_SCOPE = ScopePaths(grid="compound__grid", department="compound__property_company")
UNIT_SCOPE = ScopePaths(grid="building__compound__grid")
FLAT_SCOPE = ScopePaths(grid=_FLAT_GRID, department="unit__building__compound__property_company")
HOUSEHOLD_SCOPE = ScopePaths(grid=f"flat__{_FLAT_GRID}")
PERSON_SCOPE = ScopePaths(grid=f"household__flat__{_FLAT_GRID}")
RENTAL_SCOPE = ScopePaths(grid=f"flat__{_FLAT_GRID}")
SHOP_SCOPE = ScopePaths(grid="grid")
STAFF_SCOPE = ScopePaths(grid="shop__grid")
CARE_SCOPE = ScopePaths(grid=f"person__household__flat__{_FLAT_GRID}", assignee="worker")
VISIT_SCOPE = ScopePaths(grid=f"care_person__person__household__flat__{_FLAT_GRID}", assignee="visitor")
