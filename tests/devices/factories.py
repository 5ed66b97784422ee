"""Factories for the devices app: scenes come from the default catalogue, points from these."""

import factory

from devices.catalogue import ensure_default_scenes
from devices.models import Scene, SensorPoint
from tests.factories import CompoundFactory


def scene(code: str) -> Scene:
    ensure_default_scenes()
    return Scene.objects.get(code=code)


class SensorPointFactory(factory.django.DjangoModelFactory):
    """A point in the middle of a fresh compound (and so of its grid)."""

    class Meta:
        model = SensorPoint
        exclude = ["place"]

    place = factory.SubFactory(CompoundFactory)
    code = factory.Sequence(lambda n: f"SD-{n:06d}")
    scene = factory.LazyFunction(lambda: scene("smoke"))
    sensor_type = factory.SelfAttribute("scene.sensor_type")
    compound = factory.SelfAttribute("place")
    grid = factory.SelfAttribute("place.grid")
    lat = factory.SelfAttribute("place.centre_lat")
    lng = factory.SelfAttribute("place.centre_lng")
    heartbeat_interval = 300
