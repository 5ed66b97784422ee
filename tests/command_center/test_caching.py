import pytest

from command_center.caching import ProcessCache
from grids.models import Grid
from tests.factories import GridFactory

pytestmark = pytest.mark.django_db


def test_a_value_is_loaded_once_then_kept() -> None:
    loads: list[int] = []
    cache = ProcessCache("test:kept", lambda: loads.append(1) or len(loads))
    assert cache.get() == 1
    assert cache.get() == 1
    assert loads == [1]


def test_it_is_loaded_again_after_its_ttl(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = [100.0]
    monkeypatch.setattr("command_center.caching.time.monotonic", lambda: now[0])
    loads: list[int] = []
    cache = ProcessCache("test:ttl", lambda: loads.append(1) or len(loads), ttl=10)
    assert cache.get() == 1
    now[0] += 11
    assert cache.get() == 2


def test_saving_a_watched_model_clears_it() -> None:
    grid = GridFactory()
    cache = ProcessCache("test:watched", lambda: list(Grid.objects.values_list("name", flat=True)))
    cache.clear_on(Grid)
    before = cache.get()
    Grid.objects.filter(pk=grid.pk).update(name="renamed")  # no signal: still the kept value
    assert cache.get() == before
    grid.refresh_from_db()
    grid.save()
    assert "renamed" in cache.get()
