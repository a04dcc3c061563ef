"""URLs over 4 KB get the app's own 414 page with the security headers, also
through gunicorn (whose default limit answered a bare 400 without them)."""

from __future__ import annotations

import pytest
import requests

from kaptrain.platform.headers import MAX_URL_BYTES


def _url_of_length(length: int) -> str:
    return "/support?q=" + "a" * (length - len("/support?q="))


def test_a_url_at_the_limit_is_served(client):
    response = client.get(_url_of_length(MAX_URL_BYTES))
    assert response.status_code == 200
    assert "If the material is distressing" in response.get_data(as_text=True)


def test_a_longer_url_gets_the_apps_414_page(client):
    response = client.get(_url_of_length(MAX_URL_BYTES + 1))
    assert response.status_code == 414
    assert "That address is too long" in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.server
@pytest.mark.parametrize("length", [MAX_URL_BYTES + 1, 5000, 8000])
def test_gunicorn_lets_long_urls_reach_the_app(live_server, length):
    response = requests.get(live_server.url + _url_of_length(length), timeout=30)
    assert response.status_code == 414
    assert "That address is too long" in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.server
def test_gunicorn_serves_a_url_just_under_the_limit(live_server):
    response = requests.get(live_server.url + _url_of_length(MAX_URL_BYTES), timeout=30)
    assert response.status_code == 200
