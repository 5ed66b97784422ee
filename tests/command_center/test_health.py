"""/health/ and the wall screen's snapshot say when runcenter uses a broker that takes anonymous clients."""

import pytest

from accounts.models import User
from devices.mqtt import broker_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous_broker():
    broker_status.note_reused_broker(host="127.0.0.1", port=1883, anonymous=True)
    yield
    broker_status.note_reused_broker(host="127.0.0.1", port=1883, anonymous=False)


def test_health_has_no_warning_by_default(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["warnings"] == []


def test_health_and_the_snapshot_warn_of_an_anonymous_broker(client, api_client, make_user, anonymous_broker):
    health = client.get("/health/").json()
    api_client.force_authenticate(make_user(role=User.Role.DISPATCHER))
    snapshot = api_client.get("/api/v1/screen/snapshot", {"sections": "kpis"}).json()
    english = client.get("/health/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert health["status"] == "ok"
    assert [warning["code"] for warning in health["warnings"]] == ["mqtt_anonymous"]
    assert "127.0.0.1:1883" in health["warnings"][0]["message"]
    assert "匿名" in health["warnings"][0]["message"]
    assert snapshot["warnings"] == [health["warnings"][0]["message"]]
    assert "anonymous clients" in english["warnings"][0]["message"]
