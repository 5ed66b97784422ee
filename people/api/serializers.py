"""People API serializers. Personal fields (PERSONAL: field → kind) are masked unless the view put the
kinds the caller may read unmasked into the context ("unmasked"), after logging the read."""

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import privacy
from accounts.models import PersonalDataAccess
from people import selectors
from people.models import CarePerson, Contact, Flat, Rental, Shop, ShopInspection, ShopStaff, Visit


class MaskedSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    PERSONAL: ClassVar[dict[str, str]] = {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        unmasked = self.context.get("unmasked", ())
        for name, kind in self.PERSONAL.items():
            if name in data and kind not in unmasked and data[name]:
                data[name] = privacy.mask(kind, data[name])
        return data


class BuildingSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    compound = serializers.IntegerField(source="compound_id", read_only=True)
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    grid = serializers.IntegerField(source="compound.grid_id", read_only=True)
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    flat_count = serializers.IntegerField(read_only=True)
    rented_count = serializers.IntegerField(read_only=True, help_text="Flats with a lease running today.")
    lease_ending_count = serializers.IntegerField(read_only=True, help_text="Leases ending within 30 days.")


class FlatSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    building = serializers.IntegerField(source="unit.building_id", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Flat
        fields = [
            "id",
            "building",
            "unit",
            "unit_name",
            "room_number",
            "floor",
            "area_m2",
            "use",
            "floor_plan",
        ]


class RentalSerializer(MaskedSerializer):
    PERSONAL = {"tenant_name": privacy.NAME, "tenant_phone": privacy.PHONE}
    flat_label = serializers.CharField(source="flat.__str__", read_only=True)
    building = serializers.IntegerField(source="flat.unit.building_id", read_only=True)
    lease_ending = serializers.SerializerMethodField(
        help_text="The lease runs today and ends within 30 days."
    )

    class Meta:
        model = Rental
        fields = ["id", "flat", "flat_label", "building", "tenant_name", "tenant_phone", "tenant_count",
                  "lease_start", "lease_end", "lease_ending"]  # fmt: skip

    def get_lease_ending(self, rental: Rental) -> bool:
        return selectors.lease_is_ending(rental)


class StaffSerializer(MaskedSerializer):
    PERSONAL = {"name": privacy.NAME, "phone": privacy.PHONE}

    class Meta:
        model = ShopStaff
        fields = ["id", "name", "phone", "health_certificate_number", "health_certificate_expiry"]


class InspectionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    inspector = serializers.StringRelatedField(read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = ShopInspection
        fields = ["id", "inspected_at", "inspector", "result", "note", "photo"]


class ShopSerializer(MaskedSerializer):
    PERSONAL = {"contact_name": privacy.NAME, "contact_phone": privacy.PHONE}

    class Meta:
        model = Shop
        fields = ["id", "name", "business", "grid", "compound", "address", "lat", "lng", "contact_name",
                  "contact_phone", "licence_number", "licence_expiry", "door_photo", "pledge_file",
                  "safety_letter_file"]  # fmt: skip


class ShopDetailSerializer(ShopSerializer):
    staff = serializers.SerializerMethodField()
    inspections = InspectionSerializer(many=True, read_only=True)

    class Meta(ShopSerializer.Meta):
        fields = [*ShopSerializer.Meta.fields, "staff", "inspections"]

    def get_staff(self, shop: Shop) -> list[dict[str, Any]]:
        return StaffSerializer(shop.staff.all(), many=True, context=self.context).data  # type: ignore[return-value]


class ContactSerializer(MaskedSerializer):
    PERSONAL = {"name": privacy.NAME, "phone": privacy.PHONE}

    class Meta:
        model = Contact
        fields = ["id", "kind", "name", "relation", "phone"]


class CarePersonSerializer(MaskedSerializer):
    PERSONAL = {"name": privacy.NAME, "phone": privacy.PHONE, "id_number": privacy.ID_NUMBER}
    name = serializers.CharField(source="person.name", read_only=True)
    phone = serializers.CharField(source="person.phone", read_only=True)
    id_number = serializers.CharField(source="person.id_number", read_only=True)
    flat = serializers.IntegerField(source="person.household.flat_id", read_only=True, allow_null=True)
    categories = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)  # type: ignore[var-annotated]
    worker = serializers.StringRelatedField(read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = CarePerson
        fields = ["id", "name", "phone", "id_number", "flat", "categories", "worker", "since"]


class CarePersonDetailSerializer(CarePersonSerializer):
    contacts = serializers.SerializerMethodField()

    class Meta(CarePersonSerializer.Meta):
        fields = [*CarePersonSerializer.Meta.fields, "needs", "medicines", "contacts"]

    def get_contacts(self, care_person: CarePerson) -> list[dict[str, Any]]:
        return ContactSerializer(care_person.contacts.all(), many=True, context=self.context).data  # type: ignore[return-value]


class VisitSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    visitor = serializers.StringRelatedField(read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Visit
        fields = ["id", "care_person", "visitor", "visited_at", "lat", "lng", "accuracy", "distance_m",
                  "place_checked", "note", "photo"]  # fmt: skip
        read_only_fields = ["distance_m", "place_checked"]


class VisitCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    care_person = serializers.PrimaryKeyRelatedField(queryset=CarePerson.objects.none())
    visited_at = serializers.DateTimeField(required=False)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
    accuracy = serializers.FloatField(required=False, min_value=0, max_value=100_000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    photo = serializers.ImageField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # only the caller's people may be visited
            self.fields["care_person"].queryset = selectors.care_people(request.user)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("lat" in attrs) != ("lng" in attrs):
            message = _("Send lat and lng together.")
            raise serializers.ValidationError({"lat": [message], "lng": [message]})
        return attrs


class AccessLogSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    user = serializers.StringRelatedField(read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = PersonalDataAccess
        fields = ["id", "occurred_at", "user", "object_type", "object_id", "object_label", "field", "reason"]
