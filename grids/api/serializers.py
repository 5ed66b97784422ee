from rest_framework import serializers

from grids.models import Compound, Grid


class GridSerializer(serializers.ModelSerializer[Grid]):
    lat = serializers.FloatField(source="centre_lat", read_only=True)
    lng = serializers.FloatField(source="centre_lng", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Grid
        fields = ["id", "code", "name", "community", "community_name", "boundary", "lat", "lng"]


class CompoundSerializer(serializers.ModelSerializer[Compound]):
    lat = serializers.FloatField(source="centre_lat", read_only=True)
    lng = serializers.FloatField(source="centre_lng", read_only=True)
    property_company_name = serializers.CharField(
        source="property_company.name", read_only=True, default=None
    )

    class Meta:
        model = Compound
        fields = [
            "id",
            "code",
            "name",
            "address",
            "community",
            "grid",
            "property_company",
            "property_company_name",
            "boundary",
            "lat",
            "lng",
        ]
