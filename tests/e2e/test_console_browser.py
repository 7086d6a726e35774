"""The agent console in a real headless Chromium against a real uvicorn server.

Needs Debian's `chromium` (apt-get install chromium; `make test` tries to install it) and
the Python `playwright` package, used with executable_path (no browser download). The
screenshot is saved to data/test-artifacts/console.png.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.auth import mint_token
from app.main import create_app
from app.settings import PROJECT_ROOT
from tests.api.helpers import order_of

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
)
SCREENSHOT = PROJECT_ROOT / "data" / "test-artifacts" / "console.png"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium browser: apt-get install chromium (or run make test)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app_settings, services):
    """A real uvicorn server in a thread; refunds above $100 need an agent's approval."""
    import uvicorn

    policy = dataclasses.replace(services.policy, auto_approve_limit_cents=10000)
    svc = dataclasses.replace(services, policy=policy)
    port = free_port()
    config = uvicorn.Config(
        create_app(app_settings, services=svc), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", svc
    uv.should_exit = True
    thread.join(timeout=10)


def test_agent_works_an_escalation_in_the_console(server, app_settings):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    base, svc = server
    secret = app_settings.jwt_secret()
    customer = {"Authorization": f"Bearer {mint_token('C0001', secret, 600)}"}
    agent_token = mint_token("ann", secret, 600, role="agent")
    order_id = order_of(svc, "C0001", "delivered", recent_days=10)
    with httpx.Client(base_url=base, headers=customer, timeout=60) as http:
        offer = http.post("/v1/chat", json={"message": f"I want a refund for order {order_id}"})
        session_id = offer.json()["session_id"]
        asked = http.post("/v1/chat", json={"message": "yes", "session_id": session_id}).json()
    esc = asked["escalation"]["id"]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/console")
        page.fill("#token", agent_token)
        page.click("#save-token")
        page.click(f'#queue li[data-id="{esc}"]')
        page.wait_for_selector("#package:not([hidden])")
        assert esc in page.text_content("#title")
        assert order_id in page.text_content("#orders")
        assert f"I want a refund for order {order_id}" in page.text_content("#transcript")
        # the relabel control starts at the model's reading of the chosen (last) turn
        with httpx.Client(base_url=base, timeout=30) as http:
            pkg = http.get(
                f"/v1/agent/escalations/{esc}", headers={"Authorization": f"Bearer {agent_token}"}
            ).json()
        said = [ln for ln in pkg["transcript"] if ln["role"] == "customer"]
        if said[-1].get("intent") in pkg["intents"]:
            assert page.input_value("#relabel-intent") == said[-1]["intent"]
        page.select_option("#relabel-turn", index=0)
        assert page.input_value("#relabel-intent") == said[0]["intent"]

        def done(label: str) -> None:
            page.wait_for_function(
                "label => document.getElementById('notice').textContent === label", arg=label
            )

        page.click("#claim")
        done("Claimed.")
        assert "by ann" in page.text_content("#summary")
        page.click("#use-suggestion")  # the suggestion fills the reply box; the agent edits it
        assert page.input_value("#reply") == pkg["suggested_reply"]
        page.fill("#reply", "Hi, Ann here: I'm approving your refund now.")
        page.click("#send")
        done("Edited reply sent.")
        page.select_option("#relabel-intent", "get_refund")
        page.click("#relabel")
        done("Label saved.")
        page.click(".approve-refund")
        done("Refund approved.")
        assert "approved" in page.text_content("#approvals")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        browser.close()
    print(f"console screenshot: {SCREENSHOT}")

    [refund] = svc.store.get_order(order_id).refunds
    assert refund.amount_cents == 16800
    with httpx.Client(base_url=base, headers=customer, timeout=30) as http:
        lines = http.get(f"/v1/sessions/{session_id}").json()["transcript"]
    assert "Hi, Ann here: I'm approving your refund now." in [ln["content"] for ln in lines]
    kinds = [c["kind"] for c in svc.store.list_corrections()]
    assert kinds == ["edited_reply", "relabel"]
    assert SCREENSHOT.stat().st_size > 10_000


def test_console_works_by_keyboard_on_a_phone_width_screen(server, app_settings):
    """At 400 px nothing is cut off or scrolls sideways; j / k walk the queue, r goes to
    the reply box."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    base, _ = server
    secret = app_settings.jwt_secret()
    for customer in ("C0001", "C0002"):
        headers = {"Authorization": f"Bearer {mint_token(customer, secret, 600)}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            assert http.post("/v1/chat", json={"message": "I want to talk to a person"}).json()[
                "escalated"
            ]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 400, "height": 800})
        page.goto(f"{base}/console")
        page.fill("#token", mint_token("ann", secret, 600, role="agent"))
        page.click("#save-token")
        page.wait_for_selector("#queue li[data-id]")
        ids = page.eval_on_selector_all("#queue li[data-id]", "els => els.map(e => e.dataset.id)")
        assert len(ids) >= 2
        page.click("h2")  # focus out of the token box: keys go to the console
        page.keyboard.press("j")
        page.wait_for_function(
            "id => document.getElementById('title').textContent.includes(id)", arg=ids[0]
        )
        page.keyboard.press("j")
        page.wait_for_function(
            "id => document.getElementById('title').textContent.includes(id)", arg=ids[1]
        )
        page.keyboard.press("k")
        page.wait_for_function(
            "id => document.getElementById('title').textContent.includes(id)", arg=ids[0]
        )
        page.keyboard.press("r")
        assert page.evaluate("document.activeElement.id") == "reply"
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        box = page.locator("#package").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400
        page.screenshot(path=str(SCREENSHOT.with_name("console-400px.png")), full_page=True)
        browser.close()
