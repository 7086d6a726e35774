"""A shop whose pages live on another address than the API lists its origin in
WIDGET_ORIGINS: the browser may then call the chat API from those pages (CORS), and from
nowhere else."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.main import create_app
from app.settings import Settings

SHOP = "https://shop.example"


def preflight(client: TestClient, origin: str):
    return client.options(
        "/v1/chat",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_listed_shop_may_call_the_chat_api_and_others_may_not(app_settings, services):
    settings = app_settings.model_copy(update={"WIDGET_ORIGINS": f"{SHOP}, http://localhost:3000"})
    with TestClient(create_app(settings, services=services)) as client:
        allowed = preflight(client, SHOP)
        refused = preflight(client, "https://evil.example")
        said = client.post("/v1/chat", json={"message": "hello"}, headers={"Origin": SHOP})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in refused.headers
    assert said.status_code == 200 and said.headers["access-control-allow-origin"] == SHOP


def test_without_origins_no_page_elsewhere_may_call(client):
    assert "access-control-allow-origin" not in preflight(client, SHOP).headers


@pytest.mark.parametrize("bad", ["shop.example", "https://shop.example/path", "ftp://x"])
def test_a_value_that_is_not_an_origin_is_refused_naming_it(bad):
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(_env_file=None, WIDGET_ORIGINS=bad)
