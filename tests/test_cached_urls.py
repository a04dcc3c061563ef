"""Templates' ``url_for`` remembers URLs: the same URLs as Flask's, per mount
point, and never for host-dependent (external) URLs."""

from __future__ import annotations

from flask import Flask, url_for

from kaptrain.web import navigation
from kaptrain.web.navigation import cached_url_for


def test_cached_urls_equal_flask_urls_and_follow_the_mount_point(app: Flask) -> None:
    cases = [
        ("learn.catalog", {}),
        ("learn.module", {"module_id": "racial-trauma"}),
        ("learn.item", {"module_id": "racial-trauma", "item_id": "post-test"}),
        ("static", {"filename": "css/kaptrain.css"}),
    ]
    for root in ("", "/training"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for endpoint, values in cases:
                first = cached_url_for(endpoint, **values)
                assert first == url_for(endpoint, **values)
                assert first.startswith(root + "/")
                assert cached_url_for(endpoint, **values) == first


def test_external_urls_are_never_remembered(app: Flask) -> None:
    with app.test_request_context("/", base_url="http://one.example"):
        assert cached_url_for("main.index", _external=True) == "http://one.example/"
    with app.test_request_context("/", base_url="http://two.example"):
        assert cached_url_for("main.index", _external=True) == "http://two.example/"


def test_the_memory_is_bounded(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(navigation, "MAX_REMEMBERED_URLS", 3)
    with app.test_request_context("/"):
        for n in range(10):
            assert cached_url_for("learn.module", module_id=f"m{n}") == f"/modules/m{n}"
        assert len(app.extensions["kaptrain_urls"]) <= 3


def test_templates_use_the_cached_url_for(app: Flask) -> None:
    assert app.jinja_env.globals["url_for"] is cached_url_for
