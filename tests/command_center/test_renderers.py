"""The API's JSON renderer (orjson) writes the bytes DRF's own JSONRenderer writes."""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from command_center.api.renderers import FastJSONRenderer

SHANGHAI = timezone(timedelta(hours=8))

DATA = {
    "title": "消防通道占用 · 永安小区 3号楼",
    "escaped": 'quotes " and \\ and / and \n and \u2028 \u2029 and \x00',
    "moments": [
        datetime(2026, 11, 30, 4, 3, 10, 123456, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 3, 10, tzinfo=SHANGHAI),
        datetime(2026, 11, 30, 12, 3, 10, 5),  # noqa: DTZ001 (a naive time, as DRF writes it)
        date(2026, 11, 30),
        time(8, 30),
    ],
    "numbers": [0, -1, 2**63 - 1, 31.2304, 121.4737, 0.1, 1.5e16, 1e-4, True, False, None, Decimal("0.10")],
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "label": gettext_lazy("Dispatcher"),
    "nested": {"rows": ({"a": 1}, [2, (3, 4)]), 7: "int key", None: "none key"},
    "empty": {"list": [], "dict": {}, "text": ""},
}


@pytest.mark.parametrize("data", [DATA, [DATA, DATA], "text", 1, [], {}])
def test_the_same_bytes_as_drf(data) -> None:  # type: ignore[no-untyped-def]
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_tiny_floats_are_the_same_numbers_written_without_an_exponent() -> None:
    # Python writes 1e-05 and 1e-07, orjson 0.00001 and 1e-7: the same values, other bytes.
    tiny = [1e-5, 2.5e-6, 1e-7, 5e-324]
    assert FastJSONRenderer().render(tiny) == b"[0.00001,2.5e-6,1e-7,5e-324]"
    assert json.loads(FastJSONRenderer().render(tiny)) == json.loads(JSONRenderer().render(tiny)) == tiny


def test_what_orjson_cannot_write_is_left_to_drf() -> None:
    huge = {"n": 2**70}
    assert FastJSONRenderer().render(huge) == JSONRenderer().render(huge) == b'{"n":1180591620717411303424}'
    indented = FastJSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert (
        indented
        == JSONRenderer().render({"a": [1]}, "application/json; indent=2")
        == b'{\n  "a": [\n    1\n  ]\n}'
    )
    assert FastJSONRenderer().render(None) == b""
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"x": object()})


@pytest.mark.django_db
def test_the_api_answers_with_it(api_client, make_user) -> None:  # type: ignore[no-untyped-def]
    api_client.force_authenticate(make_user(username="li.wei", role="dispatcher"))
    response = api_client.get("/api/v1/categories/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response.content == JSONRenderer().render(response.data)
