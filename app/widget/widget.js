/* Support chat widget: one file, no build step, no outside requests.
 *
 *   <script src="https://support.example/widget.js" data-api="https://support.example" async></script>
 *
 * data-api: the support API (default: where this file came from). data-token: a signed-in
 * customer's token (or call window.SupportWidget.setToken(token) later). data-title: the
 * panel's heading. Talks to /v1/chat/ws (falls back to /v1/chat/stream and
 * /v1/sessions/{id}/events when a WebSocket cannot open), keeps the conversation in
 * localStorage, styles itself inside a shadow root, never uses eval or inline handlers.
 */
(function () {
  "use strict";
  if (window.SupportWidget && window.SupportWidget.version) return; // included twice

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var data = (script && script.dataset) || {};
  var API = (data.api || (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, "");
  var WS_URL = API.replace(/^http/, "ws") + "/v1/chat/ws";
  var KEY = "support-widget:" + API;
  var RATING_WORDS = ["", "very poor", "poor", "okay", "good", "great"];

  var token = data.token || null;
  var saved = load();
  var mode = typeof WebSocket === "function" ? "ws" : "sse";
  var ws = null, wsOpen = false, retries = 0, outbox = [], sseLines = null;
  var reply = null; // the bot bubble being written: {li, text, cites, agentMode}
  var shown = {}; // lines already on screen, by role|at|content
  var retried = false;

  // -- storage -------------------------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* private mode */ }
  }

  // -- DOM -----------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }

  var host = h("div", { id: "support-widget", "data-support-widget": "" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var bubble = h("button", { type: "button", class: "sw-bubble", "aria-label": "Open chat", "aria-expanded": "false", "aria-controls": "sw-panel" }, [h("span", { "aria-hidden": "true", text: "Chat" })]);
  var title = h("h2", { id: "sw-title", text: data.title || "Chat with us" });
  var status = h("p", { class: "sw-status", id: "sw-status", role: "status", text: "" });
  var closeBtn = h("button", { type: "button", class: "sw-close", "aria-label": "Close chat", text: "\u00d7" });
  var log = h("ol", { class: "sw-log", "aria-label": "Conversation", tabindex: "0" });
  var announcer = h("p", { class: "sw-vh", "aria-live": "polite", "aria-atomic": "true" });
  var quick = h("div", { class: "sw-quick", role: "group", "aria-label": "Suggested replies" });
  var csat = h("div", { class: "sw-csat", role: "group", "aria-labelledby": "sw-csat-q", hidden: "" }, [h("p", { id: "sw-csat-q", text: "How did we do?" })]);
  var input = h("textarea", { id: "sw-input", rows: "1", maxlength: "2000", placeholder: "Type your question\u2026", autocomplete: "off" });
  var send = h("button", { type: "submit", class: "sw-send", text: "Send" });
  var form = h("form", { class: "sw-form" }, [h("label", { for: "sw-input", class: "sw-vh", text: "Your message" }), input, send]);
  var panel = h("section", { id: "sw-panel", class: "sw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "sw-title", "aria-describedby": "sw-status", hidden: "" }, [
    h("header", { class: "sw-head" }, [h("div", {}, [title, status]), closeBtn]), log, quick, csat, form, announcer]);
  [1, 2, 3, 4, 5].forEach(function (n) {
    var b = h("button", { type: "button", class: "sw-rate", "data-rating": String(n), "aria-label": "Rate " + n + " of 5 (" + RATING_WORDS[n] + ")", text: String(n) });
    b.addEventListener("click", function () { rate(n); });
    csat.appendChild(b);
  });

  function style(css) {
    try {
      var sheet = new CSSStyleSheet(); // constructed sheets need no style-src 'unsafe-inline'
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(h("style", { text: css }));
    }
  }

  function say(text) { announcer.textContent = ""; setTimeout(function () { announcer.textContent = text; }, 50); }
  function scroll() { log.scrollTop = log.scrollHeight; }

  function line(role, text, who) {
    var li = h("li", { class: "sw-line sw-" + role }, [
      who ? h("span", { class: "sw-who", text: who }) : null,
      h("p", { class: "sw-text", text: text }),
    ]);
    log.appendChild(li);
    scroll();
    return li;
  }

  function remember(role, at, content) {
    var key = role + "|" + at + "|" + content;
    if (shown[key]) return false;
    shown[key] = true;
    return true;
  }

  function sources(li, cites) {
    if (!cites.length) return;
    var list = h("ol", { class: "sw-sources", "aria-label": "Sources" });
    cites.forEach(function (c, i) {
      var label = "[" + (i + 1) + "] " + (c.section ? c.section.split(">").pop().trim() : c.title);
      var safe = /^https?:\/\//i.test(c.url || "");
      list.appendChild(h("li", {}, [safe
        ? h("a", { href: c.url, target: "_blank", rel: "noopener noreferrer", text: label })
        : h("span", { text: label })]));
    });
    li.appendChild(list);
  }

  function suggest(labels) {
    quick.textContent = "";
    (labels || []).forEach(function (label) {
      var b = h("button", { type: "button", class: "sw-chip", text: label });
      b.addEventListener("click", function () { ask(label); input.focus(); });
      quick.appendChild(b);
    });
  }

  function setStatus(text) {
    if (status.textContent !== text) status.textContent = text;
    if (saved.status !== text) { saved.status = text; save(); }
  }

  // -- opening and closing ---------------------------------------------------------------
  function open() {
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", "Close chat");
    saved.open = true; save();
    connect();
    input.focus();
    scroll();
  }
  function close() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", "Open chat");
    saved.open = false; save();
    bubble.focus();
  }
  bubble.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); close(); } });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask(text);
  }

  // -- events (the same from the socket and from SSE) ----------------------------------
  function on(event, d) {
    if (!reply && /^(delta|citation|suggestions|human_active|done)$/.test(event)) {
      if (event === "human_active") setStatus("An agent is with you.");
      return; // a turn this page is no longer showing
    }
    if (event === "meta") {
      if (!saved.session && d.session_id) { saved.session = d.session_id; save(); }
    } else if (event === "delta") {
      if (!reply.agentMode) {
        reply.text += d;
        reply.li.querySelector(".sw-text").textContent = reply.text;
        scroll();
      }
    } else if (event === "citation") {
      reply.cites.push(d);
    } else if (event === "suggestions") {
      reply.suggestions = d;
    } else if (event === "escalation") {
      setStatus("Waiting for a person (ticket " + d.id + "). They will answer here.");
    } else if (event === "human_active") {
      reply.agentMode = true; // the agent's lines (and any notice) come as lines
      setStatus("An agent is with you" + (d.assignee ? " (" + d.assignee + ")" : "") + ".");
    } else if (event === "done") {
      finish(d);
    } else if (event === "error") {
      failed(d);
    } else if (event === "agent_reply" || event === "message") {
      if (d.id) { saved.after = Math.max(saved.after || 0, d.id); save(); }
      if (!remember(d.role, d.at, d.content)) return;
      var agent = event === "agent_reply";
      line(agent ? "agent" : "bot", d.content, agent ? (d.author || "Agent") : null);
      if (agent) {
        saved.agent = d.author || null;
        setStatus("An agent is with you (" + (d.author || "agent") + ").");
      }
      say((agent ? (d.author || "Agent") + " says: " : "") + d.content);
    } else if (event === "feedback_request") {
      setStatus("");
      csat.hidden = false;
    }
  }

  function finish(d) {
    if (!reply) return;
    var li = reply.li;
    if (reply.agentMode || !d.reply) {
      li.remove();
    } else {
      li.querySelector(".sw-text").textContent = d.reply;
      li.removeAttribute("aria-busy");
      sources(li, d.citations || reply.cites);
      say(d.reply);
    }
    if (d.escalated && d.escalation && !reply.agentMode) {
      setStatus("Waiting for a person (ticket " + d.escalation.id + "). They will answer here.");
    }
    suggest(d.suggestions && d.suggestions.length ? d.suggestions : reply.suggestions);
    reply = null;
    busy(false);
    scroll();
  }

  function failed(d) {
    var err = (d && d.error) || {};
    var pending = reply;
    if (pending) pending.li.remove();
    reply = null;
    busy(false);
    if (err.code === "unknown_session" && pending && saved.session && !retried) {
      retried = true; // e.g. the customer signed in: their own conversation starts
      saved.session = null; saved.after = 0; save();
      ask(pending.message, true);
      return;
    }
    var li = line("error", err.message || "Something went wrong; please try again.");
    li.setAttribute("role", "alert");
  }

  function busy(on) {
    send.disabled = on;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function ask(text, again) {
    if (reply) return; // one turn at a time
    if (!again) { line("me", text, null); retried = false; }
    suggest([]);
    csat.hidden = true;
    reply = { li: line("bot", ""), text: "", cites: [], suggestions: [], agentMode: false, message: text };
    reply.li.setAttribute("aria-busy", "true");
    busy(true);
    var body = { type: "message", session_id: saved.session || null, message: text, channel: "widget" };
    if (mode === "ws") {
      outbox.push(JSON.stringify(body));
      connect();
      flush();
    } else {
      streamTurn(body);
    }
  }

  // -- WebSocket ---------------------------------------------------------------------------
  function connect() {
    if (mode !== "ws") return followSse();
    if (ws) return;
    var opened = false;
    try { ws = new WebSocket(WS_URL); } catch (e) { return fallBack(); }
    ws.onopen = function () {
      opened = true; wsOpen = true; retries = 0;
      if (token) ws.send(JSON.stringify({ type: "auth", token: token }));
      if (saved.session) ws.send(JSON.stringify({ type: "watch", session_id: saved.session, after: saved.after || 0 }));
      flush();
    };
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      on(f.event, f.data);
    };
    ws.onclose = function (e) {
      ws = null; wsOpen = false;
      if (e.code === 1008) { failed({ error: { message: "We could not sign you in: " + e.reason } }); return; }
      if (!opened) return fallBack();
      if (reply) { reply.li.remove(); reply = null; busy(false); history(); } // it finished on the server
      retries += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retries)));
    };
  }

  function flush() {
    while (wsOpen && outbox.length) {
      var body = JSON.parse(outbox.shift());
      body.session_id = saved.session || null; // a conversation started meanwhile
      ws.send(JSON.stringify(body));
    }
  }

  function fallBack() {
    mode = "sse";
    var waiting = outbox.map(function (t) { return JSON.parse(t); });
    outbox = [];
    followSse();
    waiting.forEach(streamTurn);
  }

  // -- SSE fallback ------------------------------------------------------------------------
  function headers(json) {
    var out = { Accept: json ? "application/json" : "text/event-stream" };
    if (json) out["Content-Type"] = "application/json";
    if (token) out.Authorization = "Bearer " + token;
    return out;
  }

  function readSse(response, handle) {
    var reader = response.body.getReader(), decoder = new TextDecoder(), buf = "";
    function block(text) {
      var event = "message", lines = [];
      text.split(/\r?\n/).forEach(function (l) {
        if (l.indexOf("event:") === 0) event = l.slice(6).trim();
        else if (l.indexOf("data:") === 0) lines.push(l.slice(5).replace(/^ /, ""));
      });
      if (lines.length) handle(event, JSON.parse(lines.join("\n")));
    }
    function pump() {
      return reader.read().then(function (r) {
        buf += decoder.decode(r.value || new Uint8Array(), { stream: !r.done });
        var parts = buf.split(/\r?\n\r?\n/);
        buf = parts.pop();
        parts.forEach(block);
        if (r.done) { if (buf.trim()) block(buf); return; }
        return pump();
      });
    }
    return pump();
  }

  function streamTurn(body) {
    delete body.type;
    body.session_id = saved.session || null;
    fetch(API + "/v1/chat/stream", { method: "POST", headers: headers(true), body: JSON.stringify(body) })
      .then(function (r) {
        if (!r.ok) return r.json().then(function (b) { b.status = r.status; on("error", b); });
        return readSse(r, on).then(followSse);
      })
      .catch(function () { on("error", { error: { message: "We could not reach support; check your connection and try again." } }); });
  }

  function followSse() {
    if (sseLines || !saved.session) return;
    var session = saved.session;
    sseLines = true;
    function again(wait) { setTimeout(function () { sseLines = null; followSse(); }, wait); }
    fetch(API + "/v1/sessions/" + encodeURIComponent(session) + "/events?max_seconds=60&after=" + (saved.after || 0), { headers: headers(false) })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return readSse(r, on); })
      .then(function () { again(100); }, function () { again(5000); });
  }

  // -- history, rating, start ------------------------------------------------------------
  function history() {
    if (!saved.session) return Promise.resolve();
    return fetch(API + "/v1/sessions/" + encodeURIComponent(saved.session), { headers: headers(true) })
      .then(function (r) {
        if (r.status === 404) { saved = { open: saved.open }; save(); setStatus(""); return; }
        if (!r.ok) return;
        return r.json().then(function (s) {
          log.textContent = ""; shown = {};
          var agentSeen = null;
          s.transcript.forEach(function (l) {
            remember(l.role, l.at || "", l.content);
            if (!l.content) return;
            if (l.role === "agent") agentSeen = "agent";
            var role = l.role === "customer" ? "me" : l.role === "agent" ? "agent" : "bot";
            line(role, l.content, l.role === "agent" ? (l.author || "Agent") : null);
          });
          if (agentSeen && !saved.status) setStatus("An agent is with you.");
        });
      })
      .catch(function () { /* offline: the conversation shows once we reconnect */ });
  }

  function rate(n) {
    if (!saved.session) return;
    fetch(API + "/v1/feedback", { method: "POST", headers: headers(true), body: JSON.stringify({ session_id: saved.session, rating: n }) })
      .then(function (r) {
        csat.hidden = true;
        var text = r.ok ? "Thanks for rating us " + n + " of 5." : "We could not save your rating; please try again.";
        line("note", text);
        say(text);
        input.focus();
      });
  }

  function start() {
    style(CSS);
    root.appendChild(bubble);
    root.appendChild(panel);
    document.body.appendChild(host);
    if (saved.status) status.textContent = saved.status;
    history().then(function () { if (saved.open) open(); });
  }

  window.SupportWidget = {
    version: "1",
    open: open,
    close: close,
    setToken: function (t) {
      token = t || null;
      if (ws) ws.close(1000); // identity is fixed per socket: reconnect as the new customer
    },
  };

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    ".sw-bubble{position:fixed;right:16px;bottom:16px;z-index:2147483000;min-width:56px;height:56px;padding:0 18px;border:0;border-radius:28px;background:#1f4fd1;color:#fff;font-size:16px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".sw-bubble:focus-visible,.sw-panel button:focus-visible,.sw-panel a:focus-visible,.sw-panel textarea:focus-visible,.sw-log:focus-visible{outline:3px solid #ffb400;outline-offset:2px}",
    ".sw-panel{position:fixed;right:16px;bottom:84px;z-index:2147483000;width:380px;max-width:calc(100vw - 32px);height:560px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;color:#1b1b1f;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;font-size:15px;line-height:1.4}",
    ".sw-panel[hidden]{display:none}",
    ".sw-head{display:flex;align-items:flex-start;justify-content:space-between;gap:8px;padding:12px 14px;background:#1f4fd1;color:#fff}",
    ".sw-head h2{margin:0;font-size:17px}",
    ".sw-status{margin:2px 0 0;font-size:13px;min-height:1em}",
    ".sw-close{border:0;background:transparent;color:#fff;font-size:26px;line-height:1;width:44px;height:44px;margin:-8px -8px 0 0;cursor:pointer}",
    ".sw-log{flex:1;overflow-y:auto;overflow-x:hidden;margin:0;padding:12px;list-style:none;display:flex;flex-direction:column;gap:8px}",
    ".sw-line{max-width:85%;padding:8px 11px;border-radius:10px;overflow-wrap:anywhere}",
    ".sw-line p{margin:0;white-space:pre-wrap}",
    ".sw-me{align-self:flex-end;background:#1f4fd1;color:#fff}",
    ".sw-bot{align-self:flex-start;background:#eef0f4}",
    ".sw-agent{align-self:flex-start;background:#e3f4e8;border:1px solid #8cc79d}",
    ".sw-note{align-self:center;background:transparent;color:#45464f;font-size:13px}",
    ".sw-error{align-self:center;background:#fde8e8;color:#8a1111;font-size:13px}",
    ".sw-who{display:block;font-size:12px;font-weight:600;color:#1e6b35}",
    ".sw-bot[aria-busy=true] p:empty::after{content:'\u2026'}",
    ".sw-sources{margin:6px 0 0;padding:0;list-style:none;font-size:13px}",
    ".sw-sources a{color:#1f4fd1}",
    ".sw-quick{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px}",
    ".sw-quick:not(:empty){padding-bottom:8px}",
    ".sw-chip{border:1px solid #1f4fd1;background:#fff;color:#1f4fd1;border-radius:16px;padding:6px 12px;font-size:14px;cursor:pointer;max-width:100%;overflow-wrap:anywhere}",
    ".sw-csat{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:8px 12px;border-top:1px solid #e1e3ea}",
    ".sw-csat[hidden]{display:none}",
    ".sw-csat p{margin:0 6px 0 0;width:100%}",
    ".sw-rate{width:44px;height:44px;border:1px solid #9aa0ad;border-radius:8px;background:#fff;font-size:16px;cursor:pointer}",
    ".sw-form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e1e3ea}",
    ".sw-form textarea{flex:1;min-width:0;resize:none;border:1px solid #9aa0ad;border-radius:8px;padding:9px;font-size:15px;max-height:120px}",
    ".sw-send{border:0;border-radius:8px;background:#1f4fd1;color:#fff;padding:0 16px;font-size:15px;font-weight:600;cursor:pointer;min-height:44px}",
    ".sw-send:disabled{opacity:.6;cursor:progress}",
    ".sw-vh{position:absolute;left:0;top:0;width:1px;height:1px;margin:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:480px){.sw-panel{left:0;right:0;top:0;bottom:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}.sw-bubble[aria-expanded=true]{display:none}}",
  ].join("\n");

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
