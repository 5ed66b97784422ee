"""Point-in-polygon assignment and centre points (shapely)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from grids.geometry import GeometryError, Locator, polygon_centre, rectangle, to_polygon

L_SHAPE = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [3, 0], [3, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
}


def test_the_centre_of_an_l_shape_lies_inside_it():
    lat, lng = polygon_centre(L_SHAPE)

    assert shape(L_SHAPE).contains(Point(lng, lat))


@given(
    west=st.floats(120.0, 122.0),
    south=st.floats(30.0, 32.0),
    width=st.floats(0.0005, 0.05),
    height=st.floats(0.0005, 0.05),
)
def test_the_centre_of_any_rectangle_lies_inside_it(west, south, width, height):
    box = rectangle(west, south, west + width, south + height)

    lat, lng = polygon_centre(box)

    assert shape(box).contains(Point(lng, lat))


def test_locator_finds_the_containing_polygon_or_none():
    locator = Locator.build([(7, rectangle(0, 0, 1, 1)), (9, rectangle(1, 0, 2, 1))])

    assert locator.locate(0.5, 0.5) == 7
    assert locator.locate(0.5, 1.5) == 9
    assert locator.locate(5, 5) is None
    assert locator.locate_many([(0.5, 0.5), (0.5, 1.5), (9, 9)]) == [7, 9, None]


def test_on_a_shared_edge_the_lowest_id_wins():
    locator = Locator.build([(9, rectangle(1, 0, 2, 1)), (7, rectangle(0, 0, 1, 1))])

    assert locator.locate(0.5, 1.0) == 7


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, "GeoJSON Polygon"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "self-intersecting"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "not a polygon"),
        (rectangle(200, 0, 201, 1), "WGS84"),
    ],
)
def test_bad_boundaries_are_refused_with_a_reason(geojson, message):
    with pytest.raises(GeometryError, match=message):
        to_polygon(geojson)
