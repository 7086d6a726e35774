// The desk's shared state and helpers: the agent's token, API calls, DOM building, notices.
"use strict";

const $ = (id) => document.getElementById(id);

const Desk = {
  token: new URLSearchParams(location.hash.slice(1)).get("token") || localStorage.getItem("agentToken") || "",
  me: null,            // the agent's name, read from the token
  current: null,       // the open conversation's handoff package
  filters: { view: "all", status: "active", reason: "", q: "" },
  unseen: new Set(),   // conversations with news the agent has not opened yet
  drafts: {},          // unsent replies, by escalation id
  results: {},         // the last action's outcome per order, for the open conversation
  start() {
    $("token").value = Desk.token;
    $("login").onsubmit = (event) => { event.preventDefault(); Desk.useToken($("token").value.trim()); };
    Desk.useToken(Desk.token);
  },
  useToken(token) {
    Desk.token = token;
    if (token) localStorage.setItem("agentToken", token);
    Desk.me = agentName(token);
    $("me").textContent = Desk.me ? "Signed in as " + Desk.me : "";
    if (!token) return;
    loadQueue();
    loadMacros();
    startLive();
    openFromLink();
  },
};

/** The conversation a link names (/console#/escalations/ID, as notifications send it). */
function linkedEscalation() {
  const match = location.hash.match(/^#\/escalations\/([\w-]+)$/);
  return match ? match[1] : null;
}

function openFromLink() {
  const id = linkedEscalation();
  if (id && Desk.token && (!Desk.current || Desk.current.escalation.id !== id)) openEscalation(id);
}
window.addEventListener("hashchange", openFromLink);

/** The `sub` claim of a JWT (the agent's name); null when it can't be read. */
function agentName(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).sub || null;
  } catch (err) { return null; }
}

/** The status line over the conversation: what just happened, or the API's error message. */
function notice(text, isError = false) {
  $("notice").textContent = text;
  $("notice").className = "notice" + (isError ? " error" : "");
}

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + Desk.token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || response.statusText || "request failed";
    throw new ApiError(message, response.status);
  }
  return data;
}

/** An element with attributes and children (strings become text, never HTML). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const words = (name) => String(name || "").replaceAll("_", " ");

/** Where the customer writes, as the badge says it, and what that means for a reply. */
const CHANNELS = {
  api: { badge: "API", note: "API: the customer's app shows your reply." },
  widget: { badge: "widget", note: "Chat widget: the customer sees your reply live on the shop's page." },
  email: { badge: "e-mail", note: "E-mail: your reply is mailed to the customer in their thread; write it as a mail." },
};

/** A small badge naming the conversation's channel (api when the server says nothing). */
function channelBadge(channel) {
  const name = CHANNELS[channel] ? channel : "api";
  return h("span", { class: "channel channel-" + name, title: "Channel: " + CHANNELS[name].badge },
    CHANNELS[name].badge);
}

/** How long a customer has waited, as a person says it: "<1 min", "4 min", "1 h 5 min". */
function waitText(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 1) return "<1 min";
  if (minutes < 60) return minutes + " min";
  return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
}

/** Milliseconds of a server time (UTC; an ISO string without an offset is UTC too). */
function parseTime(iso) {
  if (!iso) return NaN;
  return Date.parse(/[zZ]$|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
}

function clock(iso) {
  if (!iso) return "";
  const at = new Date(parseTime(iso));
  if (Number.isNaN(at.getTime())) return "";
  const today = new Date().toDateString() === at.toDateString();
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return today ? time : at.toLocaleDateString() + " " + time;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` once, `ms` after the last of several quick calls. */
function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
