"""Shops: licences and staff health certificates expiring within 30 days (or expired) become tasks of the
shop's grid worker; inspections are recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from people import selectors, services
from people.models import ShopInspection
from tests.factories import UserFactory
from tests.people.factories import ShopFactory, ShopStaffFactory

pytestmark = pytest.mark.django_db


def test_expiring_and_expired_certificates_are_flagged_soonest_first() -> None:
    today = timezone.localdate()
    shop = ShopFactory(licence_expiry=today + timedelta(days=20))
    worker = UserFactory(role=User.Role.GRID_WORKER)
    shop.grid.workers.add(worker)
    expired = ShopStaffFactory(shop=shop, health_certificate_expiry=today - timedelta(days=3))
    ShopStaffFactory(shop=shop, health_certificate_expiry=today + timedelta(days=90))  # not yet
    ShopStaffFactory(shop=shop, health_certificate_expiry=None)  # none on file: not a date to flag
    ShopFactory(licence_expiry=today + timedelta(days=1))  # another grid's shop
    found = selectors.expiring_certificates(worker)
    assert [(item.kind, item.staff, item.expired) for item in found] == [
        ("health_certificate", expired, True),
        ("licence", None, False),
    ]
    assert found[1].expires_on == today + timedelta(days=20)
    assert selectors.expiring_certificates(worker, within_days=10)[-1].kind == "health_certificate"


def test_a_dispatcher_sees_every_shops_certificates_and_a_handler_none() -> None:
    today = timezone.localdate()
    ShopFactory(licence_expiry=today + timedelta(days=5))
    ShopFactory(licence_expiry=today + timedelta(days=6))
    assert len(selectors.expiring_certificates(UserFactory(role=User.Role.DISPATCHER))) == 2
    assert selectors.expiring_certificates(UserFactory(role=User.Role.HANDLER)) == []


def test_an_inspection_is_recorded_with_its_result() -> None:
    shop = ShopFactory()
    inspector = UserFactory(role=User.Role.GRID_WORKER)
    inspection = services.record_inspection(
        shop=shop, inspector=inspector, result="rectify", note=" 门前堆物 "
    )
    assert list(shop.inspections.all()) == [inspection]
    assert (inspection.result, inspection.note) == (ShopInspection.Result.RECTIFY, "门前堆物")
    with pytest.raises(ValidationError):
        services.record_inspection(shop=shop, inspector=inspector, result="maybe")
