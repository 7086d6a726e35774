// The open conversation: transcript, ownership buttons (enabled by status and by who holds
// it), suggested reply, reply box with macros, and private notes.
"use strict";

const Conv = { seq: 0, fromSuggestion: false, sending: false };
const escPath = (suffix) => "/v1/agent/escalations/" + Desk.current.escalation.id + suffix;

/** Loads and shows a conversation; the same one again refreshes it in place. Resolves
 * once the newest of overlapping loads is on screen. */
function openEscalation(id, options = {}) {
  Conv.latest = loadAndShow(id, options, ++Conv.seq);
  return Conv.latest;
}

async function loadAndShow(id, options, seq) {
  let pkg;
  try {
    pkg = await api("GET", "/v1/agent/escalations/" + encodeURIComponent(id));
  } catch (err) {
    if (seq === Conv.seq) notice(err.message, true);
    return false;
  }
  if (seq !== Conv.seq) return Conv.latest; // a newer load (or another conversation) wins
  const switched = !Desk.current || Desk.current.escalation.id !== id;
  if (switched) {
    $("reply").value = Desk.drafts[id] || "";
    Conv.fromSuggestion = false;
    $("macro-missing").hidden = true;
    Desk.results = {};
    notice("");
    loadMacros();
    history.replaceState(null, "", "#/escalations/" + encodeURIComponent(id)); // a link to it
  }
  Desk.current = pkg;
  Desk.unseen.delete(id);
  showUnseen();
  renderConversation(switched);
  renderContext(switched);
  markActiveRow();
  if (options.scroll && window.matchMedia("(max-width: 760px)").matches) $("detail").scrollIntoView();
  return true;
}
const refreshCurrent = () => Desk.current && openEscalation(Desk.current.escalation.id);
const refreshCurrentSoon = debounce(refreshCurrent, 200);

function customerName(pkg) {
  return (pkg.customer && pkg.customer.name) || pkg.escalation.customer_id || "Anonymous customer";
}

function renderConversation(switched) {
  const pkg = Desk.current, esc = pkg.escalation;
  $("placeholder").hidden = true;
  $("head").hidden = false;
  $("package").hidden = false;
  $("title").replaceChildren(customerName(pkg) + " — " + words(esc.reason) + " (" + esc.id + ") ",
    channelBadge(pkg.channel));
  const channel = CHANNELS[pkg.channel] ? pkg.channel : "api";
  $("channel-note").textContent = CHANNELS[channel].note;
  $("channel-note").className = "meta channel-note channel-" + channel;
  $("summary").textContent = "status " + words(esc.status) + (esc.assignee ? " by " + esc.assignee : "") +
    " · customer " + (esc.customer_id || "anonymous") + " · opened " + clock(esc.created_at);
  renderOwnership(esc);
  renderTranscript(pkg, switched);
  const suggested = (pkg.suggested_reply || "").trim();
  $("suggestion-text").textContent = suggested || "No suggestion for this conversation.";
  $("use-suggestion").disabled = !suggested || $("send").disabled;
  $("reject-suggestion").disabled = !suggested;
  showReplyFlag();
  const notes = $("notes");
  notes.replaceChildren();
  if (!(pkg.notes || []).length) notes.append(h("li", { class: "empty" }, "No notes yet."));
  for (const note of pkg.notes || []) {
    notes.append(h("li", { "data-id": note.id },
      h("span", { class: "meta" }, "Private · " + note.author + " · " + clock(note.at)), h("br"), note.text));
  }
}

/** Which buttons make sense: a resolved one can only be reopened; one another agent holds
 * can only be looked at; otherwise claim / transfer / hand back / resolve. */
function renderOwnership(esc) {
  const mine = esc.status === "claimed" && esc.assignee === Desk.me;
  const theirs = esc.status === "claimed" && esc.assignee && esc.assignee !== Desk.me;
  const resolved = esc.status === "resolved";
  const enable = (id, on) => { $(id).disabled = !on; };
  enable("claim", !resolved && !mine && !theirs);
  enable("handback", mine || esc.status === "open");
  enable("resolve", !resolved && !theirs);
  enable("reopen", resolved);
  enable("transfer", !resolved && !theirs);
  enable("transfer-to", !resolved && !theirs);
  enable("unassign", mine || esc.status === "handed_back");
  enable("send", !resolved && !theirs);
  enable("macro", !resolved && !theirs);
  $("claim").textContent = mine ? "Claimed by you" : "Claim";
  $("hold").textContent = resolved ? "Resolved. Reopen it to reply."
    : mine ? "You hold this conversation: the bot stays quiet until you hand it back or resolve it."
    : theirs ? "Held by " + esc.assignee + ": ask them to transfer it to you."
    : esc.status === "handed_back" ? "Handed back: the bot is answering. Claim it to step in."
    : "Waiting in the queue: claim it (or just reply) to take it.";
}

function renderTranscript(pkg, switched) {
  const box = $("transcript");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren();
  for (const line of pkg.transcript || []) {
    const who = line.role === "customer" ? customerName(pkg)
      : line.role === "assistant" ? "Bot"
      : line.role === "agent" ? "Agent " + (line.author || "") : words(line.role);
    const node = h("div", { class: "line " + line.role },
      h("span", { class: "who" }, who, h("span", { class: "when" }, clock(line.at))),
      line.content);
    if (line.intent) {
      const conf = line.confidence === null || line.confidence === undefined ? "" : " " + Number(line.confidence).toFixed(2);
      node.append(h("span", { class: "intent" }, "read as " + line.intent + conf));
    }
    box.append(node);
  }
  if (switched || atBottom) box.scrollTop = box.scrollHeight;
}

function showReplyFlag() {
  const text = $("reply").value.trim();
  const suggested = Desk.current ? (Desk.current.suggested_reply || "").trim() : "";
  $("reply-flag").textContent = !Conv.fromSuggestion || !text ? ""
    : text === suggested ? "Sends the suggestion as is." : "Sends an edited suggestion (kept as a correction).";
}

/** Runs an API call for the open conversation, then shows it fresh with `label`. */
async function act(label, method, path, body) {
  if (!Desk.current) return false;
  try {
    await api(method, path, body);
  } catch (err) { notice(err.message, true); return false; }
  await refreshCurrent();
  loadQueue();
  notice(label);
  return true;
}

async function sendReply() {
  if (!Desk.current || Conv.sending) return;
  if ($("send").disabled) { notice($("hold").textContent, true); return; }
  const text = $("reply").value.trim();
  if (!text) { notice("Write a reply first.", true); return; }
  const left = text.match(/\{(customer_name|customer_first_name|agent_name|order_id|order_status|tracking_number|carrier)\}/);
  if (left) { notice("Fill in " + left[0] + " before sending.", true); return; }
  const suggested = (Desk.current.suggested_reply || "").trim();
  const flag = Conv.fromSuggestion ? (text === suggested ? "approved" : "edited") : null;
  const label = flag === "edited" ? "Edited reply sent." : flag === "approved" ? "Suggested reply sent." : "Reply sent.";
  const id = Desk.current.escalation.id;
  Conv.sending = true;
  $("send").disabled = true;
  try {
    if (await act(label, "POST", escPath("/reply"), { text, suggestion: flag })) {
      if (Desk.current.escalation.id === id) $("reply").value = "";
      delete Desk.drafts[id];
      Conv.fromSuggestion = false;
      $("macro-missing").hidden = true;
      showReplyFlag();
    }
  } finally {
    Conv.sending = false;
    if (Desk.current) renderOwnership(Desk.current.escalation);
  }
}

async function loadMacros() {
  try {
    const macros = await api("GET", "/v1/agent/macros");
    const pick = $("macro");
    pick.replaceChildren(h("option", { value: "" }, macros.length ? "insert a macro…" : "no macros yet"));
    for (const m of macros) pick.append(h("option", { value: m.id }, m.name));
  } catch (err) { notice(err.message, true); }
}

/** A macro, filled in for this conversation (and the order it is about), into the reply box. */
async function insertMacro() {
  const macroId = $("macro").value;
  $("macro").value = "";
  if (!macroId || !Desk.current) return;
  const order = (Desk.current.orders || []).find((o) => o.mentioned);
  let out;
  try {
    out = await api("POST", escPath("/macros/" + macroId + "/render"), order ? { order_id: order.id } : {});
  } catch (err) { notice(err.message, true); return; }
  const box = $("reply");
  box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + out.text : out.text;
  Desk.drafts[Desk.current.escalation.id] = box.value;
  Conv.fromSuggestion = false;
  showReplyFlag();
  const missing = $("macro-missing");
  missing.hidden = !out.missing.length;
  missing.textContent = out.missing.length ? "Fill in before sending: " +
    out.missing.map((m) => "{" + m + "}").join(", ") + " (this conversation has no value for it)." : "";
  box.focus();
}

$("claim").onclick = () => act("Claimed.", "POST", escPath("/claim"));
$("handback").onclick = () => act("Handed back to the bot.", "POST", escPath("/handback"));
$("resolve").onclick = () => act("Resolved.", "POST", escPath("/resolve"));
$("reopen").onclick = () => act("Reopened: back in the queue.", "POST", escPath("/reopen"));
$("transfer-form").onsubmit = async (event) => {
  event.preventDefault();
  const to = $("transfer-to").value.trim();
  if (!to) { notice("Type the name of the agent to transfer to.", true); return; }
  if (await act("Transferred to " + to + ".", "POST", escPath("/assign"), { agent: to })) $("transfer-to").value = "";
};
$("unassign").onclick = () => act("Back in the queue, unassigned.", "POST", escPath("/assign"), { agent: null });
$("use-suggestion").onclick = () => {
  $("reply").value = Desk.current.suggested_reply || "";
  Conv.fromSuggestion = true;
  Desk.drafts[Desk.current.escalation.id] = $("reply").value;
  showReplyFlag();
  $("reply").focus();
};
$("reject-suggestion").onclick = () => act("Suggestion rejected.", "POST", escPath("/suggestion/reject"), {});
$("reply-form").onsubmit = (event) => { event.preventDefault(); sendReply(); };
$("reply").addEventListener("input", () => {
  if (Desk.current) Desk.drafts[Desk.current.escalation.id] = $("reply").value;
  showReplyFlag();
});
$("macro").addEventListener("change", insertMacro);
$("save-macro").onclick = async () => {
  const name = $("macro-name").value.trim(), text = $("reply").value.trim();
  if (!name || !text) { notice("A macro needs a name and the reply text to save.", true); return; }
  try {
    await api("POST", "/v1/agent/macros", { name, text });
  } catch (err) { notice(err.message, true); return; }
  $("macro-name").value = "";
  await loadMacros();
  notice("Macro \u201C" + name + "\u201D saved.");
};
$("note-form").onsubmit = async (event) => {
  event.preventDefault();
  const text = $("note-text").value.trim();
  if (!text) { notice("Write the note first.", true); return; }
  if (await act("Private note added.", "POST", escPath("/notes"), { text })) $("note-text").value = "";
};
// Ctrl+Enter (Cmd+Enter on a Mac) sends the reply or adds the note.
for (const [box, form] of [["reply", "reply-form"], ["note-text", "note-form"]]) {
  $(box).addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $(form).requestSubmit();
    }
  });
}
