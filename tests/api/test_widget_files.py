"""The widget's script and the demo page as a shop's browser gets them (the browser test,
tests/e2e/test_widget_browser.py, drives them; this runs without Chromium)."""

from __future__ import annotations

import re

from app.routes.widget import demo_policy


def test_widget_script_is_served_as_javascript_a_page_can_include(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "max-age=" in r.headers["cache-control"]
    # CSP-friendly: no eval, no code from strings, no inline handlers, no outside requests
    assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*[\"']|\.innerHTML\s*=", r.text)
    assert not re.search(r"https?://(?!support\.example)", r.text)
    assert '"channel": "widget"' not in r.text and 'channel: "widget"' in r.text


def test_demo_page_has_the_widget_and_a_strict_content_security_policy(client):
    r = client.get("/demo")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/widget.js" async></script>' in r.text
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert policy == demo_policy(r.text)
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/]+=*';", policy)


def test_widget_routes_serve_nothing_else(client):
    assert client.get("/widget.css").status_code == 404
    assert client.get("/demo.html").status_code == 404
    assert client.get("/widget/demo.html").status_code == 404
