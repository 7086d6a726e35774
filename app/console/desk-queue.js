// The queue: one row per conversation (who, channel, why, last line, live wait time with an
// SLA colour and word, assignee, status), its filters and search, and the keyboard.
"use strict";

const Queue = { rows: [], fetchedAt: 0, seq: 0, known: new Set(), since: null };
const SLA_WORDS = { ok: "on time", warn: "due soon", breach: "overdue" };

async function loadQueue() {
  if (!Desk.token) return;
  const f = Desk.filters, params = new URLSearchParams();
  if (f.status) params.set("status", f.status);
  if (f.view !== "all") params.set("view", f.view);
  if (f.reason) params.set("reason", f.reason);
  if (f.q) params.set("q", f.q);
  const seq = ++Queue.seq;
  try {
    const rows = await api("GET", "/v1/agent/escalations?" + params);
    if (seq !== Queue.seq) return; // a newer request (another filter) is on its way
    Queue.rows = rows;
    Queue.fetchedAt = Date.now();
    noteNewRows(rows);
    renderQueue();
  } catch (err) { notice(err.message, true); }
}
const refreshQueueSoon = debounce(loadQueue, 150);

/** A conversation raised since the page loaded that no live event announced (the live
 * stream is the main way news arrives) still counts as news the first time it shows up. */
function noteNewRows(rows) {
  const openId = Desk.current ? Desk.current.escalation.id : null;
  let added = false;
  for (const row of rows) {
    const created = parseTime(row.created_at);
    if (Queue.since !== null && !Queue.known.has(row.id) && row.id !== openId && created >= Queue.since) {
      Desk.unseen.add(row.id);
      added = true;
    }
    Queue.known.add(row.id);
  }
  if (Queue.since === null) Queue.since = Date.now() - 1000;
  if (added) showUnseen();
}

function renderQueue() {
  const list = $("queue");
  const focused = document.activeElement && document.activeElement.closest("#queue li[data-id]");
  const focusId = focused ? focused.dataset.id : null;
  list.replaceChildren();
  $("queue-count").textContent = "(" + Queue.rows.length + ")";
  if (!Queue.rows.length) list.append(h("li", { class: "empty" }, "Nothing here."));
  for (const row of Queue.rows) list.append(queueRow(row));
  tickWaits();
  if (focusId) {
    const again = list.querySelector(`li[data-id="${CSS.escape(focusId)}"] > button`);
    if (again) again.focus();
  }
}

function queueRow(row) {
  const isOpen = Desk.current && Desk.current.escalation.id === row.id;
  const unseen = Desk.unseen.has(row.id);
  const who = row.customer_name || row.customer_id || "Anonymous customer";
  const sla = row.sla || "none";
  const slaWord = row.sla ? SLA_WORDS[row.sla] : row.status === "resolved" ? "resolved" : "answered";
  const button = h("button", { type: "button", class: "open", "aria-current": isOpen ? "true" : false },
    h("span", { class: "r1" },
      h("span", { class: "who" }, who, unseen ? h("span", { class: "new-tag" }, "new") : null),
      h("span", { class: "sla sla-" + sla },
        h("span", { class: "dot", "aria-hidden": "true" }),
        h("span", { class: "wait", "data-wait": row.wait_seconds ?? "" }, waitText(row.wait_seconds)),
        (row.wait_seconds !== null ? " · " : "") + slaWord)),
    h("span", { class: "r2" },
      channelBadge(row.channel),
      h("span", { class: "reason" }, words(row.reason)),
      h("span", { class: "status" }, words(row.status)),
      h("span", { class: "assignee" }, row.assignee ? "· " + row.assignee : "· unassigned")),
    h("span", { class: "r3" }, h("span", { class: "last" }, row.last_message || "(no message)")));
  button.onclick = () => openEscalation(row.id, { scroll: true });
  return h("li", { "data-id": row.id, class: (isOpen ? "active " : "") + (unseen ? "unseen" : "") }, button);
}

/** The wait times tick on between refreshes. */
function tickWaits() {
  const elapsed = (Date.now() - Queue.fetchedAt) / 1000;
  document.querySelectorAll("#queue [data-wait]").forEach((node) => {
    if (node.dataset.wait === "") return;
    node.textContent = waitText(Number(node.dataset.wait) + elapsed);
  });
}
setInterval(tickWaits, 5000);
setInterval(() => { if (document.visibilityState === "visible") loadQueue(); }, 20000);

function markActiveRow() {
  const id = Desk.current ? Desk.current.escalation.id : null;
  document.querySelectorAll("#queue li[data-id]").forEach((li) => {
    const on = li.dataset.id === id;
    li.classList.toggle("active", on);
    if (on) li.classList.remove("unseen");
    if (on) li.querySelectorAll(".new-tag").forEach((tag) => tag.remove());
    const button = li.querySelector("button");
    if (on) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
  });
}

function setView(view) {
  Desk.filters.view = view;
  document.querySelectorAll(".views .view").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
  loadQueue();
}
document.querySelectorAll(".views .view").forEach((b) => { b.onclick = () => setView(b.dataset.view); });
$("filter").onchange = () => { Desk.filters.status = $("filter").value; loadQueue(); };
$("reason").onchange = () => { Desk.filters.reason = $("reason").value; loadQueue(); };
$("refresh").onclick = loadQueue;
const searchSoon = debounce(() => { Desk.filters.q = $("search").value.trim(); loadQueue(); }, 250);
$("search").addEventListener("input", searchSoon);
$("search").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); Desk.filters.q = $("search").value.trim(); loadQueue(); }
});

// j / k move through the queue (opening each), Enter opens the focused row, r goes to the
// reply box, / to the search box; Esc leaves a text box so the keys work again.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && event.target.closest("input, textarea, select")) { event.target.blur(); return; }
  if (event.target.closest("input, textarea, select") || event.metaKey || event.ctrlKey || event.altKey) return;
  const items = [...document.querySelectorAll("#queue li[data-id]")];
  if (event.key === "r" && Desk.current) {
    event.preventDefault();
    $("reply").focus();
  } else if (event.key === "/") {
    event.preventDefault();
    $("search").focus();
  } else if ((event.key === "j" || event.key === "k") && items.length) {
    event.preventDefault();
    const at = items.findIndex((li) => Desk.current && li.dataset.id === Desk.current.escalation.id);
    const step = event.key === "j" ? 1 : -1;
    const next = at < 0 ? 0 : Math.min(items.length - 1, Math.max(0, at + step));
    items[next].querySelector("button").focus();
    openEscalation(items[next].dataset.id);
  }
});
