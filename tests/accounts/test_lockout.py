"""Login lockout by (username, client address) and by address, on the login page, the admin's login and
the token endpoint alike; the administrator's unlock with its audit row; the counters' atomicity."""

import threading

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import caches
from django.test import override_settings
from rest_framework.authtoken.models import Token

from accounts import auth
from accounts.models import User
from command_center.cache import ReusedClientRedisCache

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


def token_login(api_client, username: str, password: str, address: str, **extra: str):
    return api_client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


def page_login(client, username: str, password: str, address: str):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_failures_from_another_address_do_not_lock_the_owner_out(api_client, make_user, password):
    make_user(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS + 3):
        token_login(api_client, "admin", "guess", ATTACKER)

    owner = token_login(api_client, "admin", password, OWNER)
    attacker = token_login(api_client, "admin", password, ATTACKER)  # even with the right password

    assert owner.status_code == 200
    assert attacker.status_code == 429
    assert "锁定" in attacker.json()["detail"]
    assert Token.objects.count() == 1


def test_the_login_page_does_not_lock_the_owner_out_either(client, make_user, password):
    make_user(username="li.wei", role=User.Role.DISPATCHER)
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        page_login(client, "li.wei", "guess", ATTACKER)
    locked = page_login(client, "li.wei", password, ATTACKER)
    assert locked.status_code == 200
    assert "锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session

    owner = page_login(client, "li.wei", password, OWNER)

    assert owner.status_code == 302
    assert client.session["_auth_user_id"]


def test_spraying_one_password_over_many_accounts_is_limited_by_address(api_client, make_user, password):
    make_user(username="wang.fang")
    for n in range(settings.LOGIN_LOCKOUT_ADDRESS_ATTEMPTS):
        response = token_login(api_client, f"user{n}", "Spring2026!", ATTACKER)
        assert response.status_code == 400, n  # never five for one name: no per-username lock

    sprayer = token_login(api_client, "wang.fang", password, ATTACKER)
    elsewhere = token_login(api_client, "wang.fang", password, OWNER)

    assert sprayer.status_code == 429
    assert "地址" in sprayer.json()["detail"]
    assert "账户" not in sprayer.json()["detail"]
    assert elsewhere.status_code == 200


def test_the_page_and_the_endpoint_share_the_counters(client, api_client, make_user, password):
    make_user(username="li.wei")
    for n in range(settings.LOGIN_LOCKOUT_ADDRESS_ATTEMPTS // 2):
        page_login(client, f"page{n}", "guess", ATTACKER)
    for n in range(settings.LOGIN_LOCKOUT_ADDRESS_ATTEMPTS - settings.LOGIN_LOCKOUT_ADDRESS_ATTEMPTS // 2):
        token_login(api_client, f"api{n}", "guess", ATTACKER)

    assert token_login(api_client, "li.wei", password, ATTACKER).status_code == 429
    page = page_login(client, "li.wei", password, ATTACKER)
    assert page.status_code == 200
    assert "地址" in page.content.decode()


def test_the_admins_login_is_locked_too(client, make_user, password):
    make_user(username="root", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        client.post("/admin/login/", {"username": "root", "password": "guess"}, REMOTE_ADDR=ATTACKER)

    refused = client.post("/admin/login/", {"username": "root", "password": password}, REMOTE_ADDR=ATTACKER)
    owner = client.post("/admin/login/", {"username": "root", "password": password}, REMOTE_ADDR=OWNER)

    assert refused.status_code == 200  # the form again, with the reason
    assert "锁定" in refused.content.decode()
    assert owner.status_code == 302


def test_a_forged_forwarded_for_changes_nothing_without_a_trusted_proxy(api_client, make_user, password):
    make_user(username="li.wei")
    for n in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        token_login(api_client, "li.wei", "guess", ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = token_login(api_client, "li.wei", password, ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_the_forwarded_client_counts(api_client, make_user, password):
    make_user(username="li.wei")
    proxy = "10.1.2.3"
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        # The client may invent the left part; the proxy appended the address it saw on the right.
        token_login(api_client, "li.wei", "guess", proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {ATTACKER}")

    attacker = token_login(api_client, "li.wei", password, proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    owner = token_login(api_client, "li.wei", password, proxy, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {OWNER}")

    assert attacker.status_code == 429
    assert owner.status_code == 200


def test_client_addresses(rf):
    def address(remote: str, forwarded: str = "") -> str:
        request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        return auth.client_address(request)

    assert address("192.0.2.1", "198.51.100.1") == "192.0.2.1"  # trust none by default
    assert address("2001:db8:1:2::1") == address("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address("::ffff:192.0.2.7") == "192.0.2.7"
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "172.16.0.1"]):
        assert address("10.0.0.1", "198.51.100.1, 172.16.0.1") == "198.51.100.1"
        assert address("10.0.0.1", "garbage") == "10.0.0.1"
        assert address("10.0.0.1", "") == "10.0.0.1"
        assert address("192.0.2.1", "198.51.100.1") == "192.0.2.1"  # not from a proxy: header ignored


def test_an_administrator_unlocks_a_user_through_the_admin_with_an_audit_row(
    client, api_client, make_user, password
):
    user = make_user(username="li.wei", role=User.Role.DISPATCHER)
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        token_login(api_client, "li.wei", "guess", ATTACKER)
    token_login(api_client, "li.wei", "guess", OWNER)
    assert token_login(api_client, "li.wei", password, ATTACKER).status_code == 429
    admin = make_user(username="root", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    client.post("/admin/login/", {"username": "root", "password": password}, REMOTE_ADDR=OWNER)

    changelist = client.get("/admin/accounts/user/")
    assert "unlock_login" in changelist.content.decode()
    response = client.post(
        "/admin/accounts/user/",
        {"action": "unlock_login", "_selected_action": [user.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "已解锁" in response.content.decode()
    assert token_login(api_client, "li.wei", password, ATTACKER).status_code == 200
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert (entry.user_id, entry.action_flag) == (admin.pk, CHANGE)
    assert "解锁" in entry.get_change_message()
    history = client.get(f"/admin/accounts/user/{user.pk}/history/").content.decode()
    assert "解锁" in history
    # The owner's single failure was forgotten too: five more are needed to lock again.
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS - 1):
        token_login(api_client, "li.wei", "guess", OWNER)
    assert token_login(api_client, "li.wei", password, OWNER).status_code == 200


def test_only_users_who_may_change_users_see_the_unlock_action(client, make_user, password):
    make_user(username="li.wei")
    viewer = make_user(username="viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(viewer)

    page = client.get("/admin/accounts/user/").content.decode()

    assert "unlock_login" not in page


def test_failure_counts_are_atomic_under_parallel_logins():
    """Many workers counting one key at once lose no failure (Redis: one MULTI; locmem: its lock)."""
    key = "login-failures:test-atomic"
    threads = [threading.Thread(target=lambda: [auth._count(key) for _ in range(20)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert auth._failures(key) == [160]
    backend = caches["default"]
    if isinstance(backend, ReusedClientRedisCache):
        ttl = backend.client().ttl(backend.make_and_validate_key(key))
        assert 0 < ttl <= settings.LOGIN_LOCKOUT_SECONDS  # the window always expires
