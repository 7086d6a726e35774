// The live stream: GET /v1/agent/events read with fetch() (EventSource cannot send the
// Authorization header), parsed as server-sent events, resumed with Last-Event-ID. Each
// event refreshes the queue, and the open conversation when it is about that one; news
// about other conversations counts in the unseen badge and the window title.
"use strict";

const Live = { lastId: null, gen: 0, ctrl: null };
const NEWS = new Set(["escalation.created", "escalation.joined", "message.customer", "escalation.reopened"]);

function liveState(state, text) {
  $("live").className = "live " + state;
  $("live").textContent = text;
}

function startLive() {
  if (Live.ctrl) Live.ctrl.abort();
  const gen = ++Live.gen;
  runLive(gen);
}

async function runLive(gen) {
  let delay = 1000;
  while (gen === Live.gen && Desk.token) {
    const ctrl = new AbortController();
    Live.ctrl = ctrl;
    let failed = false;
    try {
      const headers = { "Authorization": "Bearer " + Desk.token, "Accept": "text/event-stream" };
      if (Live.lastId !== null) headers["Last-Event-ID"] = String(Live.lastId);
      const response = await fetch("/v1/agent/events?max_seconds=300", { headers, signal: ctrl.signal, cache: "no-store" });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        const message = (data.error && data.error.message) || response.statusText;
        liveState("off", "Offline");
        notice("Live updates: " + message, true);
        if (response.status === 401 || response.status === 403) return; // a new token restarts it
        failed = true;
      } else {
        liveState("on", "Live");
        delay = 1000;
        loadQueue(); // catch up on what happened while (re)connecting
        if (Desk.current) refreshCurrentSoon();
        await readEvents(response.body, gen);
      }
    } catch (err) {
      if (ctrl.signal.aborted) return;
      failed = true;
    }
    if (gen !== Live.gen) return;
    if (failed) {
      liveState("reconnecting", "Reconnecting…");
      await sleep(delay);
      delay = Math.min(delay * 2, 15000);
    } else {
      await sleep(250); // the server ended the stream (max_seconds): pick it up again
    }
  }
}

/** Reads the stream block by block ("\r\n" or "\n" line ends, a blank line ends an event). */
async function readEvents(body, gen) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "", carry = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done || gen !== Live.gen) return;
    let chunk = carry + value;
    carry = "";
    if (chunk.endsWith("\r")) { carry = "\r"; chunk = chunk.slice(0, -1); }
    buffer += chunk.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      handleBlock(block);
    }
  }
}

function handleBlock(block) {
  let kind = "message", id = null;
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue; // a comment (keep-alive ping)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") kind = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  if (id !== null && /^\d+$/.test(id)) Live.lastId = Number(id);
  if (!data.length) return;
  let event;
  try { event = JSON.parse(data.join("\n")); } catch (err) { return; }
  if (kind === "error") {
    liveState("reconnecting", "Reconnecting…");
    return;
  }
  onDeskEvent(event);
}

function onDeskEvent(event) {
  const openId = Desk.current ? Desk.current.escalation.id : null;
  const id = event.escalation_id;
  const byMe = event.actor === "agent:" + Desk.me;
  const toMe = event.kind === "escalation.assigned" && event.data && event.data.assignee === Desk.me;
  // The open conversation counts too while the agent is in another tab.
  if (id && (id !== openId || document.hidden) && !byMe && (NEWS.has(event.kind) || toMe)) {
    Desk.unseen.add(id);
    showUnseen();
  }
  refreshQueueSoon();
  if (id && id === openId) refreshCurrentSoon();
}

/** The badge and the window title count conversations with news not opened yet. */
function showUnseen() {
  const n = Desk.unseen.size;
  $("unseen").textContent = n ? n + " new" : "";
  document.title = (n ? "(" + n + ") " : "") + "Support desk";
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && Desk.current && Desk.unseen.delete(Desk.current.escalation.id)) showUnseen();
});
