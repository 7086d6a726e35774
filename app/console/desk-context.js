// The context beside the conversation: the customer, pending refund approvals, the orders
// (the ones in question first) with refund / cancel / new-address actions, earlier
// conversations with their CSAT, and the bot's reading with the relabel control.
"use strict";

const Context = { form: null }; // the open action form: { orderId, kind }
const ACTIONS = {
  refund: { button: "Refund items", done: "Refund done." },
  cancel: { button: "Cancel order", done: "Order cancelled." },
  address: { button: "Change address", done: "Address changed." },
};

function renderContext(switched) {
  const pkg = Desk.current;
  $("context-placeholder").hidden = true;
  $("context-body").hidden = false;
  if (switched) Context.form = null;
  renderCustomer(pkg);
  renderApprovals(pkg);
  if (switched || !Context.form) renderOrders(pkg); // never under the agent's hands mid-form
  renderHistory(pkg);
  renderReading(pkg, switched);
}

function renderCustomer(pkg) {
  const c = pkg.customer, box = $("customer");
  box.replaceChildren();
  if (!c) {
    const id = pkg.escalation.customer_id;
    box.append(h("p", { class: "empty" }, id ? "Customer " + id + " (no profile)." : "Anonymous customer: not signed in."));
    return;
  }
  box.append(h("div", { class: "card" }, h("dl", {},
    h("dt", {}, "Name"), h("dd", {}, c.name),
    h("dt", {}, "Email"), h("dd", {}, c.email),
    h("dt", {}, "Since"), h("dd", {}, c.since),
    h("dt", {}, "Id"), h("dd", {}, c.id))));
}

function renderApprovals(pkg) {
  const box = $("approvals");
  box.replaceChildren();
  if (!(pkg.approvals || []).length) box.append(h("p", { class: "empty" }, "None."));
  for (const a of pkg.approvals || []) {
    const row = h("div", { class: "approval", "data-id": a.id },
      h("span", {}, "Order " + a.order_id + " · " + a.amount + " · " + a.status));
    if (a.status === "pending") {
      row.append(
        h("button", { type: "button", class: "approve-refund", onclick: () => decide(a.id, true) }, "Approve refund"),
        h("button", { type: "button", class: "decline-refund", onclick: () => decide(a.id, false) }, "Decline"));
    }
    box.append(row);
  }
}

function decide(id, approve) {
  return act(approve ? "Refund approved." : "Refund declined.", "POST",
    "/v1/agent/approvals/" + encodeURIComponent(id) + "/decide", { approve, note: "" });
}

function renderOrders(pkg) {
  const box = $("orders");
  box.replaceChildren();
  const about = (pkg.orders || []).filter((o) => o.mentioned);
  const shown = new Set(about.map((o) => o.id));
  const others = [...(pkg.orders || []), ...((pkg.customer && pkg.customer.orders) || [])]
    .filter((o) => !shown.has(o.id) && shown.add(o.id));
  if (!about.length && !others.length) box.append(h("p", { class: "empty" }, "No orders."));
  about.forEach((o) => box.append(orderCard(o)));
  if (others.length) {
    if (about.length) box.append(h("h4", { class: "meta" }, "The customer's other orders"));
    others.forEach((o) => box.append(orderCard(o)));
  }
}

function orderCard(o) {
  const facts = [words(o.status), o.total, "placed " + o.placed_at];
  if (o.refunded && o.refunded !== "$0.00") facts.push("refunded " + o.refunded);
  const card = h("article", { class: "order" + (o.mentioned ? " mentioned" : ""), "data-order": o.id },
    h("h4", {}, "Order " + o.id, o.mentioned ? h("span", { class: "tag" }, "in this chat") : null),
    h("p", { class: "meta" }, facts.join(" · ")),
    h("p", { class: "meta" }, o.tracking_number ? "Tracking: " + (o.carrier || "carrier") + " " + o.tracking_number : "No tracking yet."),
    h("ul", { class: "items" }, (o.items || []).map((i) =>
      h("li", {}, i.quantity + " × " + i.name + " (" + i.sku + ") · " + i.price + (i.refundable ? "" : " · not refundable")))));
  const kinds = o.status === "delivered" ? ["refund"] : ["pending", "processing"].includes(o.status) ? ["cancel", "address"] : [];
  if (kinds.length) {
    card.append(h("div", { class: "order-actions" }, kinds.map((kind) =>
      h("button", { type: "button", class: "act-" + kind, "aria-label": ACTIONS[kind].button + " of order " + o.id,
        onclick: () => openForm(o, kind) }, ACTIONS[kind].button))));
  }
  if (Context.form && Context.form.orderId === o.id) card.append(actionForm(o, Context.form.kind));
  const result = Desk.results[o.id];
  card.append(h("p", { class: "result" + (result && result.error ? " error" : ""), role: "status" }, result ? result.text : ""));
  return card;
}

function openForm(o, kind) {
  Context.form = { orderId: o.id, kind };
  delete Desk.results[o.id];
  renderOrders(Desk.current);
  const first = document.querySelector(`.order[data-order="${CSS.escape(o.id)}"] .action-form input:not([disabled])`);
  if (first) first.focus();
}

function closeForm() {
  Context.form = null;
  if (Desk.current) renderOrders(Desk.current);
}

function actionForm(o, kind) {
  const fields = h("fieldset", {}, h("legend", {}, ACTIONS[kind].button + " · order " + o.id));
  if (kind === "refund") {
    (o.items || []).forEach((item, n) => {
      const id = "pick-" + o.id + "-" + n;
      fields.append(h("div", { class: "pick" },
        h("input", { type: "checkbox", id, name: "sku", value: item.sku, disabled: !item.refundable }),
        h("label", { for: id }, item.name + " (" + item.sku + ")" + (item.refundable ? "" : " · not refundable")),
        h("input", { type: "number", name: "qty-" + item.sku, min: 1, max: item.quantity, value: item.quantity,
          "aria-label": "Units of " + item.name, disabled: !item.refundable })));
    });
  }
  if (kind === "address") {
    fields.append(h("label", { class: "wide" }, "New address (one line)",
      h("input", { type: "text", name: "address", required: true, maxlength: 300, placeholder: "12 Oak Lane, Apt 3, Portland, OR 97205" })));
  } else {
    fields.append(h("label", { class: "wide" }, "Reason",
      h("input", { type: "text", name: "reason", required: true, maxlength: 500,
        placeholder: kind === "cancel" ? "e.g. ordered by mistake" : "e.g. arrived broken" })));
  }
  const submit = h("button", { type: "submit" }, kind === "refund" ? "Refund selected items" : ACTIONS[kind].button);
  const form = h("form", { class: "action-form", "data-kind": kind }, fields,
    h("p", {}, submit, h("button", { type: "button", onclick: closeForm }, "Close")));
  form.onsubmit = (event) => { event.preventDefault(); runAction(o, kind, new FormData(form), form, submit); };
  return form;
}

/** Sends the action; shows its summary (what the customer was told) or the API's reason
 * (a policy refusal is a 409 and nothing was done). */
async function runAction(o, kind, data, form, submit) {
  const body = { action: kind, order_id: o.id };
  const showError = (text) => {
    Desk.results[o.id] = { text, error: true };
    const line = form.closest(".order").querySelector(".result");
    line.textContent = text;
    line.className = "result error";
    notice(text, true);
  };
  if (kind === "refund") {
    const skus = data.getAll("sku");
    if (!skus.length) { showError("Pick at least one item to refund."); return; }
    body.items = skus.map((sku) => ({ sku, quantity: Number(data.get("qty-" + sku)) }));
  }
  if (kind === "address") body.address = String(data.get("address") || "").trim();
  else body.reason = String(data.get("reason") || "").trim();
  submit.disabled = true;
  try {
    const out = await api("POST", escPath("/actions"), body);
    let text = out.summary;
    if (out.repeated) text += " (done before: nothing new was written)";
    if (out.over_limit) text += " Above the auto-approve limit: your action is the approval.";
    Desk.results[o.id] = { text };
    Context.form = null;
    await refreshCurrent();
    loadQueue();
    notice(ACTIONS[kind].done);
  } catch (err) {
    submit.disabled = false;
    showError(err.message);
  }
}

function renderHistory(pkg) {
  const list = $("history"), past = (pkg.customer && pkg.customer.conversations) || [];
  list.replaceChildren();
  if (!past.length) list.append(h("li", { class: "empty" }, "No earlier conversations."));
  for (const c of past) {
    const outcome = c.tickets.length
      ? c.tickets.map((t) => words(t.reason) + ": " + words(t.status) + (t.assignee ? " by " + t.assignee : "")).join("; ")
      : "the bot handled it";
    list.append(h("li", { "data-session": c.session_id }, clock(c.started_at) + " · " + outcome +
      " · " + (c.csat ? "CSAT " + c.csat + "/5" : "no rating")));
  }
}

/** The bot's reading, and the relabel control starting at what it predicted for the turn. */
function renderReading(pkg, switched) {
  const s = pkg.sentiment;
  $("reading").textContent = "Predicted intent: " + (pkg.predicted_intent || "n/a") +
    (s ? " · sentiment " + s.label + " (" + s.score + ")" : "");
  const turns = $("relabel-turn"), intents = $("relabel-intent");
  const lines = pkg.transcript || [];
  const said = lines.map((line, index) => [line, index]).filter(([line]) => line.role === "customer");
  const keep = !switched && turns.options.length === said.length ? [turns.value, intents.value] : null;
  turns.replaceChildren(...said.map(([line, index]) => h("option", { value: index }, "#" + index + " " + line.content.slice(0, 50))));
  if (intents.options.length !== (pkg.intents || []).length) {
    intents.replaceChildren(...(pkg.intents || []).map((name) => h("option", { value: name }, name)));
  }
  const predicted = () => {
    const at = Number(turns.value), line = lines[at];
    const last = said.length && at === said[said.length - 1][1];
    const guess = (line && line.intent) || (last ? pkg.predicted_intent : null);
    if (guess && (pkg.intents || []).includes(guess)) intents.value = guess;
  };
  turns.onchange = predicted;
  if (keep) [turns.value, intents.value] = keep;
  else if (said.length) { turns.value = String(said[said.length - 1][1]); predicted(); }
  $("relabel").disabled = !said.length;
  const cites = $("citations");
  cites.replaceChildren();
  if (!(pkg.citations || []).length) cites.append(h("p", { class: "empty" }, "None."));
  for (const c of pkg.citations || []) cites.append(h("div", {}, c.title + (c.section ? " › " + c.section : "")));
}

$("relabel").onclick = () => act("Label saved.", "POST", escPath("/relabel"),
  { turn: Number($("relabel-turn").value), intent: $("relabel-intent").value });
