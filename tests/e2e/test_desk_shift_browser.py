"""A shift at the desk, in a real headless Chromium against a real uvicorn server.

Agent ann has the console open; three customers escalate over the HTTP API meanwhile (one
through the chat widget). Their conversations appear in the queue without a reload, each
with its channel's badge, and count in the unseen badge; ann
filters, searches by an order id, claims one, answers it with a macro, refunds an item from
the context panel, adds a private note and resolves it. Screenshots at 1400 and 400 px go
to data/test-artifacts/desk-shift-1400.png and desk-shift-400.png.
"""

from __future__ import annotations

import time

import httpx
import pytest

from app.auth import mint_token
from app.settings import PROJECT_ROOT
from tests.api.helpers import order_of, sse_events
from tests.e2e.test_console_browser import CHROMIUM, server  # noqa: F401 (the server fixture)

ARTIFACTS = PROJECT_ROOT / "data" / "test-artifacts"
MACRO = "Hi {customer_first_name}, about order {order_id}: I'm on it. {agent_name}"
NOTE = "Charger batch looks faulty: check the other orders from this week."

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium browser: apt-get install chromium (or run make test)"
)


def chat(http: httpx.Client, *messages: str, channel: str = "api") -> dict:
    """Says each message in one conversation; the last answer, which must escalate."""
    session_id, out = None, {}
    for message in messages:
        body = {"message": message, "channel": channel}
        body |= {"session_id": session_id} if session_id else {}
        response = http.post("/v1/chat", json=body)
        assert response.status_code == 200, response.text
        out = response.json()
        session_id = out["session_id"]
    assert out["escalated"], out
    return out


def rows(page) -> list[str]:
    return page.eval_on_selector_all("#queue li[data-id]", "els => els.map(e => e.innerText)")


def wait_rows(page, n: int) -> list[str]:
    page.wait_for_function(
        "n => document.querySelectorAll('#queue li[data-id]').length === n", arg=n
    )
    return rows(page)


def said(page, label: str) -> None:
    """The notice line says `label` (what the agent sees after an action)."""
    page.wait_for_function(
        "label => document.getElementById('notice').textContent === label", arg=label
    )


def overflowing(page) -> list[str]:
    """Elements of the conversation and context panels that stick out of the window."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#detail *, #context *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && (r.left < -0.5 || r.right > window.innerWidth + 0.5);
           }).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""
    )


def test_an_agent_works_a_shift_in_the_console(server, app_settings):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    started = time.monotonic()
    base, svc = server
    secret = app_settings.jwt_secret()
    ann = {"Authorization": f"Bearer {mint_token('ann', secret, 600, role='agent')}"}
    customer = {c: {"Authorization": f"Bearer {mint_token(c, secret, 600)}"}
                for c in ("C0001", "C0002", "C0003")}  # fmt: skip
    order_id = order_of(svc, "C0001", "delivered", recent_days=10)
    pending_order = order_of(svc, "C0001", "pending")
    big_order = order_of(svc, "C0002", "delivered", recent_days=30)
    with httpx.Client(base_url=base, headers=ann, timeout=30) as http:
        made = http.post("/v1/agent/macros", json={"name": "Order follow-up", "text": MACRO})
        assert made.status_code == 201, made.text
        # the page's own files are served, nothing else from its folder or beside it
        assert (
            http.get("/console/desk-live.js").headers["content-type"].startswith("text/javascript")
        )
        for name in ("index.html", "..%2Fmain.py", "desk.py"):
            assert http.get(f"/console/{name}").status_code == 404

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(10_000)
        streams = []  # the live stream's requests, to see what a reconnect sends
        page.on("request", lambda r: streams.append(r) if "/v1/agent/events" in r.url else None)
        page.goto(f"{base}/console")
        page.fill("#token", ann["Authorization"].removeprefix("Bearer "))
        page.click("#save-token")
        page.wait_for_function("document.getElementById('live').textContent === 'Live'")
        assert page.text_content("#me") == "Signed in as ann"
        assert wait_rows(page, 0) == []

        # three customers escalate while the page is open
        with httpx.Client(base_url=base, timeout=60) as http:
            http.headers.update(customer["C0001"])
            jordan = chat(http, f"Where is my order {order_id}?", "I want to talk to a person")
            http.headers.update(customer["C0002"])
            chat(http, f"I want a refund for order {big_order}", "yes")
            http.headers.update(customer["C0003"])
            chat(http, "I want to talk to a person", channel="widget")  # the shop's chat widget
        shown = wait_rows(page, 3)  # no reload
        page.wait_for_function("document.getElementById('unseen').textContent === '3 new'")
        assert page.title() == "(3) Support desk"
        [row] = [r for r in shown if "Jordan Rivera" in r]
        assert "explicit request" in row and "unassigned" in row
        assert "I want to talk to a person" in row
        assert any(sla in row for sla in ("on time", "due soon", "overdue"))
        assert any("Sebastian Silva" in r and "approval needed" in r for r in shown)
        [diego] = [r for r in shown if "Diego Allen" in r]
        badges = page.eval_on_selector_all(
            "#queue li[data-id] .channel", "els => els.map(e => e.textContent)"
        )
        assert sorted(badges) == ["API", "API", "widget"]  # where each customer writes
        assert "widget" in diego and "API" in row

        # unassigned, then search by the order id: only Jordan's conversation
        page.click('.views button[data-view="unassigned"]')
        assert page.get_attribute('.views button[data-view="unassigned"]', "aria-pressed") == "true"
        wait_rows(page, 3)
        page.fill("#search", order_id)
        [row] = wait_rows(page, 1)
        assert "Jordan Rivera" in row
        page.focus("#queue li[data-id] button")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('title').textContent.includes('Jordan')")
        page.wait_for_function("document.getElementById('unseen').textContent === '2 new'")
        assert page.title() == "(2) Support desk"
        assert f"Where is my order {order_id}?" in page.text_content("#transcript")
        assert "Jordan Rivera" in page.text_content("#customer")
        assert page.text_content("#title .channel") == "API"
        assert page.text_content("#channel-note").startswith("API:")
        first_order = page.locator("#orders .order").first
        assert first_order.get_attribute("data-order") == order_id
        assert "in this chat" in first_order.inner_text()

        page.click("#claim")
        said(page, "Claimed.")
        assert "by ann" in page.text_content("#summary")
        assert page.is_disabled("#claim") and page.is_enabled("#resolve")
        wait_rows(page, 0)  # claimed: no longer unassigned
        page.click('.views button[data-view="mine"]')
        page.fill("#search", "")
        [row] = wait_rows(page, 1)
        assert "Jordan Rivera" in row and "claimed" in row and "ann" in row

        # a macro fills the reply box, filled in for Jordan and the order; Ctrl+Enter sends
        page.select_option("#macro", label="Order follow-up")
        reply = f"Hi Jordan, about order {order_id}: I'm on it. ann"
        page.wait_for_function("text => document.getElementById('reply').value === text", arg=reply)
        assert page.is_hidden("#macro-missing")
        page.focus("#reply")
        page.keyboard.press("Control+Enter")
        said(page, "Reply sent.")
        assert page.input_value("#reply") == ""
        agent_line = page.locator("#transcript .line.agent").last
        assert "Agent ann" in agent_line.inner_text() and reply in agent_line.inner_text()

        # refund the charger from the context panel; a cancellation for no listed reason is
        # the policy's 409, shown on the order
        card = page.locator(f'.order[data-order="{order_id}"]')
        card.locator(".act-refund").click()
        card.locator('input[name="sku"][value="NW-CHG-110"]').check()
        card.locator('input[name="reason"]').fill("charger arrived dead")
        card.locator('button[type="submit"]').click()
        said(page, "Refund done.")
        result = page.locator(f'.order[data-order="{order_id}"] .result').inner_text()
        assert result.startswith("Done: refund ") and "$39.00" in result
        pending = page.locator(f'.order[data-order="{pending_order}"]')
        pending.locator(".act-cancel").click()
        pending.locator('input[name="reason"]').fill("because")
        pending.locator('button[type="submit"]').click()
        page.wait_for_selector(f'.order[data-order="{pending_order}"] .result.error')
        assert "one of these reasons" in pending.locator(".result").inner_text()
        assert "one of these reasons" in page.text_content("#notice")
        pending.get_by_role("button", name="Close").click()

        # a reply worth keeping becomes a macro
        page.fill("#reply", "Thanks {customer_first_name}, anything else?")
        page.click(".macro-save summary")
        page.fill("#macro-name", "Anything else")
        page.click("#save-macro")
        said(page, "Macro \u201cAnything else\u201d saved.")
        names = page.eval_on_selector_all("#macro option", "els => els.map(e => e.textContent)")
        assert {"Order follow-up", "Anything else"} <= set(names)
        page.fill("#reply", "")

        page.fill("#note-text", NOTE)
        page.click("#add-note")
        said(page, "Private note added.")
        assert NOTE in page.text_content("#notes") and "Private" in page.text_content("#notes")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "desk-shift-1400.png"))

        # a phone-width window: one column, nothing sticks out sideways
        page.set_viewport_size({"width": 400, "height": 900})
        page.wait_for_timeout(200)
        assert overflowing(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        page.screenshot(path=str(ARTIFACTS / "desk-shift-400.png"), full_page=True)

        # transfer to bob: the buttons follow who holds it; bob gives it back and the open
        # conversation follows live
        page.fill("#transfer-to", "bob")
        page.click("#transfer")
        said(page, "Transferred to bob.")
        assert "Held by bob" in page.text_content("#hold")
        assert page.is_disabled("#send") and page.is_disabled("#resolve")
        assert page.is_disabled("#reopen")
        bob = {"Authorization": f"Bearer {mint_token('bob', secret, 600, role='agent')}"}
        esc_id = jordan["escalation"]["id"]
        with httpx.Client(base_url=base, headers=bob, timeout=30) as http:
            back = http.post(f"/v1/agent/escalations/{esc_id}/assign", json={"agent": "ann"})
            assert back.status_code == 200, back.text
        page.wait_for_function("document.getElementById('hold').textContent.startsWith('You hold')")
        assert page.is_enabled("#send") and page.is_enabled("#resolve")

        page.click("#resolve")
        said(page, "Resolved.")
        assert page.is_enabled("#reopen") and page.is_disabled("#send")
        wait_rows(page, 0)  # resolved: out of the active queue
        page.click('.views button[data-view="all"]')
        left = wait_rows(page, 2)
        left_id = page.get_attribute("#queue li[data-id]", "data-id")
        assert not any("Jordan Rivera" in r for r in left)

        # a new connection of the live stream carries the token and resumes after the last
        # event it saw
        first = streams[0].all_headers()
        assert first["authorization"] == ann["Authorization"] and "last-event-id" not in first
        seen = page.evaluate("Live.lastId")
        assert seen > 0
        before = len(streams)
        page.evaluate("startLive()")
        deadline = time.monotonic() + 10
        while len(streams) == before and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert streams[-1].all_headers()["last-event-id"] == str(seen)
        # the address names the open conversation; a notification's link opens it
        assert page.url.endswith(f"/console#/escalations/{esc_id}")
        page.goto(f"{base}/console?from=notification#/escalations/{left_id}")  # a fresh load
        page.wait_for_function("id => document.getElementById('title').textContent.includes(id)",
                               arg=left_id)  # fmt: skip
        browser.close()

    [refund] = svc.store.get_order(order_id).refunds
    assert refund.skus == ["NW-CHG-110"]
    assert svc.store.get_order(pending_order).status == "pending"
    session_id = jordan["session_id"]
    with httpx.Client(base_url=base, headers=customer["C0001"], timeout=30) as http:
        said_to = http.get(f"/v1/sessions/{session_id}").json()["transcript"]
        lines = [ln["content"] for ln in said_to]
        with http.stream("GET", f"/v1/sessions/{session_id}/events?after=0&max_seconds=0.5") as s:
            events = sse_events(s)
    assert reply in lines and not any(NOTE in line for line in lines)
    assert [ln["author"] for ln in said_to if ln["content"] == reply] == ["ann"]
    assert ("agent_reply", reply) in [(kind, data["content"]) for kind, data in events]
    assert time.monotonic() - started < 60
