"""The chat widget on the demo shop page, in a real headless Chromium against uvicorn.

A shopper opens the bubble, asks a help-centre question (the answer streams in with its
sources as links), clicks a quick reply, asks for a person (the widget says they are
waiting), an agent answers over the agent API (the line arrives live), the page reloads
(the conversation is still there), a second agent takes over and answers (after another
reload each agent line still names who wrote it), the agent resolves and the shopper rates
the chat.
Without WebSocket, a signed-in shopper (SupportWidget.setToken) gets the same answer over
the SSE fallback, in a conversation of their own. Screenshots at 1280 and 360 px go to
data/test-artifacts/widget-1280.png and widget-360.png.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from app.auth import mint_token
from app.settings import PROJECT_ROOT
from tests.e2e.test_console_browser import CHROMIUM, server  # noqa: F401 (the server fixture)

ARTIFACTS = PROJECT_ROOT / "data" / "test-artifacts"
QUESTION = "What is your refund policy? How many days do I have to return something?"
AGENT_LINE = "Hi, Ann here from Northwind. I can help with that."

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium browser: apt-get install chromium (or run make test)"
)


def overflowing(page) -> list[str]:
    """Elements of the page or the widget's panel that stick out of the window sideways."""
    return page.evaluate(
        """() => {
          const root = document.getElementById('support-widget').shadowRoot;
          const all = [...document.querySelectorAll('body *'), ...root.querySelectorAll('*')];
          const out = all.filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.left < -0.5 || r.right > window.innerWidth + 0.5);
          }).map(e => e.tagName + '.' + e.className);
          if (document.documentElement.scrollWidth > window.innerWidth) out.push('document');
          return out;
        }"""
    )


def ask(page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_a_shopper_chats_with_the_widget_on_the_demo_page(server, app_settings):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    expect = sync_api.expect
    started = time.monotonic()
    base, svc = server
    secret = app_settings.jwt_secret()
    customer = mint_token("C0001", secret, 600)
    ann = {"Authorization": f"Bearer {mint_token('ann', secret, 600, 'agent')}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        script = http.get("/widget.js")
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        demo = http.get("/demo")
        assert demo.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self';" in demo.headers["content-security-policy"]
        assert '<script src="/widget.js" async></script>' in demo.text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        problems: list[str] = []  # script errors and CSP refusals show up here
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.goto(f"{base}/demo")

        page.get_by_role("button", name="Open chat").click()
        dialog = page.get_by_role("dialog", name="Chat with us")
        expect(dialog).to_be_visible()
        expect(page.get_by_label("Your message")).to_be_focused()

        # a help-centre question: the answer with its sources as links
        ask(page, QUESTION)
        source = dialog.get_by_role("link", name=re.compile(r"^\[1\] "))
        expect(source).to_be_visible()
        assert source.get_attribute("href").startswith("http")
        assert source.get_attribute("rel") == "noopener noreferrer"
        expect(dialog.locator(".sw-bot").first).to_contain_text("30 days")

        # an unclear message: quick replies; clicking one sends it
        ask(page, "hhhhhhhhh")
        chips = dialog.locator(".sw-chip")
        expect(chips.last).to_have_text("Talk to a person")
        first = chips.first.inner_text()
        bots = dialog.locator(".sw-bot").count()
        chips.first.click()
        expect(dialog.locator(".sw-me").last).to_have_text(first)
        expect(dialog.locator(".sw-bot")).to_have_count(bots + 1)
        expect(dialog.locator(".sw-bot").last.locator("p")).not_to_be_empty()

        # a person: the widget says so, and the agent's reply arrives live
        ask(page, "I want to talk to a person")
        status = dialog.locator(".sw-status")
        expect(status).to_have_text(re.compile(r"Waiting for a person \(ticket \w+\)"))
        ticket = re.search(r"ticket (\w+)", status.inner_text()).group(1)
        with httpx.Client(base_url=base, headers=ann, timeout=30) as http:
            sent = http.post(f"/v1/agent/escalations/{ticket}/reply", json={"text": AGENT_LINE})
            assert sent.status_code == 200, sent.text
        expect(dialog.locator(".sw-agent")).to_contain_text(AGENT_LINE)
        expect(status).to_have_text("An agent is with you (ann).")
        page.screenshot(path=str(ARTIFACTS / "widget-1280.png"))
        assert sockets == [f"{base.replace('http', 'ws')}/v1/chat/ws"]  # one socket carried it all

        # a reload keeps the conversation (and the panel open)
        page.reload()
        expect(dialog).to_be_visible()
        expect(dialog.locator(".sw-me").first).to_have_text(QUESTION)
        expect(dialog.locator(".sw-agent")).to_contain_text(AGENT_LINE)
        expect(status).to_have_text("An agent is with you (ann).")

        # ann hands over to bob, who answers; after a reload each line still names its agent
        bob = {"Authorization": f"Bearer {mint_token('bob', secret, 600, 'agent')}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            url = f"/v1/agent/escalations/{ticket}"
            moved = http.post(f"{url}/assign", headers=ann, json={"agent": "bob"})
            assert moved.status_code == 200, moved.text
            sent = http.post(f"{url}/reply", headers=bob, json={"text": "Bob here."})
            assert sent.status_code == 200, sent.text
        expect(dialog.locator(".sw-agent")).to_have_count(2)
        page.reload()
        expect(dialog.locator(".sw-agent .sw-who")).to_have_text(["ann", "bob"])

        # resolved: the rating prompt arrives on the new connection; the shopper rates 5
        with httpx.Client(base_url=base, headers=bob, timeout=30) as http:
            assert http.post(f"/v1/agent/escalations/{ticket}/resolve").status_code == 200
        with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as rated:
            dialog.get_by_role("button", name="Rate 5 of 5 (great)").click()
        assert rated.value.status == 201 and rated.value.json()["rating"] == 5
        expect(dialog.locator(".sw-note")).to_have_text("Thanks for rating us 5 of 5.")

        page.set_viewport_size({"width": 360, "height": 740})
        expect(dialog).to_be_visible()
        assert overflowing(page) == []
        page.screenshot(path=str(ARTIFACTS / "widget-360.png"))
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("button", name="Open chat")).to_be_focused()
        assert problems == []

        # no WebSocket in this browser: the same question over the SSE fallback, signed in
        plain = browser.new_page(viewport={"width": 1280, "height": 900})
        plain.add_init_script("delete window.WebSocket")
        plain.goto(f"{base}/demo")
        plain.evaluate("token => window.SupportWidget.setToken(token)", customer)
        plain.get_by_role("button", name="Open chat").click()
        with plain.expect_request(lambda r: r.url.endswith("/v1/chat/stream")) as streamed:
            ask(plain, QUESTION)
        assert '"channel":"widget"' in streamed.value.post_data
        expect(plain.get_by_role("link", name=re.compile(r"^\[1\] "))).to_be_visible()
        kept = plain.evaluate(
            "key => JSON.parse(localStorage.getItem(key))", f"support-widget:{base}"
        )
        browser.close()

    with httpx.Client(base_url=base, timeout=30) as http:  # the signed-in customer's conversation
        mine = http.get(
            f"/v1/sessions/{kept['session']}", headers={"Authorization": f"Bearer {customer}"}
        )
        assert mine.status_code == 200 and mine.json()["transcript"][0]["content"] == QUESTION
        assert http.get(f"/v1/sessions/{kept['session']}").status_code == 404

    assert time.monotonic() - started < 60
