"""The OpenAPI schema builds without errors or warnings, and Swagger UI is served without a CDN."""

import pytest
from django.core.management import call_command

from tests.conftest import offsite_assets, page_assets

pytestmark = pytest.mark.django_db


def test_schema_generates_cleanly(tmp_path, capsys):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")

    text = out.read_text()
    assert "/api/v1/auth/token/" in text
    assert "/api/v1/grids/" in text


def test_swagger_ui_uses_local_static_files(client, make_user):
    from accounts.models import User

    client.force_login(make_user(role=User.Role.DISPATCHER))

    page = client.get("/api/docs/").content.decode()

    assert "swagger-ui" in page
    assert any("swagger-ui-bundle" in url for url in page_assets(page))
    assert offsite_assets(page) == []
    assert client.get("/api/schema/").status_code == 200
