from rest_framework import viewsets

from command_center.api.pagination import CountedPage
from grids.models import Compound, Grid
from grids.scoping import scope_queryset
from grids.selectors import COMPOUND_SCOPE, GRID_SCOPE

from .serializers import CompoundSerializer, GridSerializer


class GridViewSet(viewsets.ReadOnlyModelViewSet[Grid]):
    """Grids (网格) in the caller's scope, with boundary GeoJSON and a centre point inside it."""

    serializer_class = GridSerializer
    pagination_class = CountedPage
    filterset_fields = ["community", "code"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = Grid.objects.select_related("community").order_by("code")
        return scope_queryset(queryset, self.request.user, GRID_SCOPE)  # type: ignore[arg-type]


class CompoundViewSet(viewsets.ReadOnlyModelViewSet[Compound]):
    """Residential compounds (小区) in the caller's scope."""

    serializer_class = CompoundSerializer
    pagination_class = CountedPage
    filterset_fields = ["community", "grid", "code"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = Compound.objects.select_related("property_company").order_by("code")
        return scope_queryset(queryset, self.request.user, COMPOUND_SCOPE)  # type: ignore[arg-type]
