"""Masking, who may unmask which field, the access log, and the encryption of ID numbers."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.sites import site
from django.test import RequestFactory

from accounts import privacy
from accounts.admin import PersonalDataAccessAdmin
from accounts.checks import personal_data_keys
from accounts.models import PersonalDataAccess, User
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三华", "张*华"), ("张三", "张*"), ("欧阳小明", "欧**明"), ("李", "李"), ("", "")],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert privacy.mask_name(name) == masked


def test_phones_and_id_numbers_are_masked() -> None:
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_phone("021-6543") == "******43"
    assert privacy.mask_id_number("310101199001011234") == "3101************34"
    assert privacy.mask_id_number("31010119900101123X") == "3101************3X"
    assert privacy.mask_id_number("123") == "***"


# Who may ask for an unmasked value (with a reason): role × field.
UNMASK_MATRIX = {
    #                         name   phone  id_number
    User.Role.DISPATCHER: (True, True, False),
    User.Role.GRID_WORKER: (True, True, True),
    User.Role.HANDLER: (False, False, False),
    User.Role.OFFICIAL: (False, False, False),
    User.Role.ADMIN: (True, True, True),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(UNMASK_MATRIX))
@pytest.mark.parametrize("field", privacy.FIELDS)
def test_every_role_and_field_may_or_may_not_be_unmasked(role: str, field: str) -> None:
    user = UserFactory(role=role)
    allowed = UNMASK_MATRIX[role][privacy.FIELDS.index(field)]
    assert privacy.may_unmask(user, field) is allowed
    if allowed:
        privacy.check_unmasked_read(user, (field,), "回访核实")
    else:
        with pytest.raises(privacy.PrivacyError) as refused:
            privacy.check_unmasked_read(user, (field,), "回访核实")
        assert refused.value.status_code == 403
    with pytest.raises(privacy.PrivacyError) as no_reason:
        privacy.check_unmasked_read(user, (field,), "  ")
    assert no_reason.value.status_code == 400


@pytest.mark.django_db
def test_an_inactive_user_unmasks_nothing() -> None:
    user = UserFactory(role=User.Role.ADMIN, is_active=False)
    assert not any(privacy.may_unmask(user, field) for field in privacy.FIELDS)


@pytest.mark.django_db
def test_an_unmasked_read_writes_who_what_when_why() -> None:
    reader = UserFactory(role=User.Role.GRID_WORKER)
    subject = UserFactory(username="subject")
    row = privacy.log_unmasked_read(reader, subject, privacy.PHONE, " 上门走访前电话联系 ")
    row.refresh_from_db()
    assert (row.user, row.object_type, row.object_id, row.field, row.reason) == (
        reader,
        "accounts.user",
        str(subject.pk),
        "phone",
        "上门走访前电话联系",
    )
    assert row.occurred_at is not None


@pytest.mark.django_db
def test_the_access_log_admin_is_read_only_and_for_administrators() -> None:
    model_admin = PersonalDataAccessAdmin(PersonalDataAccess, site)
    request = RequestFactory().get("/")
    request.user = UserFactory(role=User.Role.ADMIN, is_staff=True)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    request.user = UserFactory(role=User.Role.DISPATCHER, is_staff=True)
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_module_permission(request)


def test_encryption_round_trips_and_rotates(settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEY = old
    token = privacy.encrypt("310101199001011234")
    assert "310101" not in token
    assert privacy.decrypt(token) == "310101199001011234"
    settings.PERSONAL_DATA_KEY = f"{new},{old}"  # step 1 of a rotation: the new key first
    assert privacy.decrypt(token) == "310101199001011234"
    rotated = privacy.reencrypt(token)
    settings.PERSONAL_DATA_KEY = new  # step 3: the old key removed
    assert privacy.decrypt(rotated) == "310101199001011234"
    with pytest.raises(ValueError, match="no longer configured"):
        privacy.decrypt(token)


def test_the_search_hash_is_keyed_and_normalized(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PERSONAL_DATA_HASH_KEY = "one key"
    first = privacy.lookup_hash("31010119900101123x")
    assert first == privacy.lookup_hash(" 31010119900101123X ")
    assert len(first) == 64
    settings.PERSONAL_DATA_HASH_KEY = "another key"
    assert privacy.lookup_hash("31010119900101123X") != first
    assert privacy.lookup_hash("") == ""


def test_without_keys_a_deploy_check_warns(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PERSONAL_DATA_KEY = ""
    settings.PERSONAL_DATA_HASH_KEY = ""
    assert [message.id for message in personal_data_keys(None)] == ["accounts.W001"]
    settings.PERSONAL_DATA_KEY = Fernet.generate_key().decode()
    settings.PERSONAL_DATA_HASH_KEY = "x" * 50
    assert personal_data_keys(None) == []
