// choreo console: a hash-routed page over /console/api. Plain DOM, no framework, no network
// beyond this server. Every value from the bus goes in through textContent (never innerHTML),
// so an event's detail cannot inject markup into the page.
"use strict";

const API = "/console/api";
const state = { stream: null, timers: [] };

// ------------------------------------------------------------------------------------------ DOM
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function table(headers, rows, attrs) {
  return h("table", attrs || {}, h("thead", {}, h("tr", {}, headers.map((t) => h("th", {}, t)))), h("tbody", {}, rows));
}

function when(epoch) {
  if (epoch === null || epoch === undefined) return "";
  const date = new Date(epoch * 1000);
  return date.toISOString().replace("T", " ").replace("Z", "");
}

function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function pill(text, kind) {
  return h("span", { className: `pill ${kind || ""}` }, text);
}

function failure(error) {
  return h("div", { className: "error", "data-test": "error" }, String(error.message || error));
}

// ------------------------------------------------------------------------------------------ API
async function api(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) if (value) query.set(key, value);
  const suffix = query.toString() ? `?${query}` : "";
  const response = await fetch(`${API}${path}${suffix}`, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function post(path, body) {
  const response = await fetch(`${API}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Choreo-Console": "1" },
    body: JSON.stringify(body || {}),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

// A table fed page by page: "Load more" follows the API's cursor.
function pager(headers, row, load, attrs) {
  const body = h("tbody", {});
  const more = h("button", { className: "secondary", "data-test": "load-more" }, "Load more");
  const note = h("span", { className: "muted" });
  let cursor = null;
  async function next() {
    more.disabled = true;
    try {
      const page = await load(cursor);
      for (const item of page.items) body.append(row(item));
      cursor = page.next;
      note.textContent = body.children.length ? "" : "Nothing here yet.";
    } catch (error) {
      note.textContent = String(error.message || error);
    }
    more.disabled = false;
    more.hidden = !cursor;
  }
  const element = h(
    "div",
    {},
    h("table", attrs || {}, h("thead", {}, h("tr", {}, headers.map((t) => h("th", {}, t)))), body),
    h("div", { className: "toolbar" }, more, note),
  );
  return { element, body, note, next };
}

// ------------------------------------------------------------------------------------------ routing
const pages = {};

function stopPage() {
  if (state.stream) state.stream.close();
  state.stream = null;
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
  setStatus(false);
}

// Parameters after "?" in the hash (#/traces?since=-1h): pages keep their filters in the address.
function hashParams() {
  return new URLSearchParams(location.hash.split("?")[1] || "");
}

function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

function setStatus(live) {
  const status = document.getElementById("status");
  status.textContent = live ? "live" : "not streaming";
  status.classList.toggle("live", live);
}

async function route() {
  stopPage();
  const [name, ...rest] = (location.hash.replace(/^#\/?/, "").split("?")[0] || "events").split("/");
  const args = rest.map(decodeURIComponent);
  const main = document.getElementById("main");
  const section = { event: "events", trace: "traces", queue: "queues", schema: "schemas" }[name] || name;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.page === section);
  main.replaceChildren(h("p", { className: "muted" }, "Loading…"));
  const page = pages[name] || pages.events;
  try {
    const content = await page(...args);
    main.replaceChildren(content);
    main.dataset.page = name;
  } catch (error) {
    main.replaceChildren(failure(error));
  }
}

// ------------------------------------------------------------------------------------------ events
function eventRow(event, fresh) {
  return h(
    "tr",
    { className: fresh ? "fresh" : "", "data-test": "event-row", "data-event-id": event.id },
    h("td", {}, event.time),
    h("td", {}, event.bus),
    h("td", {}, event.source),
    h("td", {}, event.detailType),
    h("td", {}, h("a", { href: `#/event/${encodeURIComponent(event.id)}` }, event.id)),
    h("td", {}, event.replayName ? pill(`replay ${event.replayName}`, "warn") : ""),
  );
}

pages.events = async function () {
  const overview = await api("/overview");
  const params = new URLSearchParams(location.search);
  const bus = h("select", { name: "bus" }, h("option", { value: "" }, "all buses"), overview.buses.map((b) => h("option", { value: b.name }, b.name)));
  bus.value = params.get("bus") || "";
  const source = h("input", { name: "source", placeholder: "source", value: params.get("source") || "" });
  const detailType = h("input", { name: "detailType", placeholder: "detail-type", value: params.get("detailType") || "" });
  const list = h("div", {});
  const count = h("span", { className: "muted", "data-test": "live-count" }, "0 new");
  const filters = h(
    "form",
    { className: "filters", onsubmit: (e) => { e.preventDefault(); start(); } },
    h("label", {}, "Bus", bus),
    h("label", {}, "Source", source),
    h("label", {}, "Detail type", detailType),
    h("button", { type: "submit" }, "Apply"),
    count,
  );
  let seen = new Set();
  let fresh = 0;
  let table = null;
  function wanted() {
    return { bus: bus.value, source: source.value.trim(), detailType: detailType.value.trim() };
  }
  function prepend(event) {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    table.body.prepend(eventRow(event, true));
    table.note.textContent = "";
    fresh += 1;
    count.textContent = `${fresh} new`;
  }
  async function refill() {  // after a reconnect or a lag: the newest page fills any gap
    const page = await api("/events", { ...wanted(), limit: 50 });
    for (const event of page.items.reverse()) prepend(event);
  }
  function start() {
    if (state.stream) state.stream.close();
    setStatus(false);  // live again only once the new stream (with the new filters) is ready
    seen = new Set();
    fresh = 0;
    count.textContent = "0 new";
    table = pager(["time", "bus", "source", "detail-type", "id", ""], (e) => { seen.add(e.id); return eventRow(e, false); },
      async (cursor) => {  // a streamed event may already be shown: list each event once
        const page = await api("/events", { ...wanted(), cursor });
        return { ...page, items: page.items.filter((e) => !seen.has(e.id)) };
      }, { "data-test": "events" });
    list.replaceChildren(table.element);
    const loaded = table.next();
    const query = new URLSearchParams(Object.entries(wanted()).filter(([, v]) => v));
    const stream = new EventSource(`${API}/stream?${query}`);
    stream.addEventListener("ready", () => {
      setStatus(true);
      loaded.then(refill);  // what was published between the first page and the subscription
    });
    stream.addEventListener("bus-event", (message) => prepend(JSON.parse(message.data)));
    stream.addEventListener("lagged", () => refill());
    stream.onerror = () => setStatus(false);
    state.stream = stream;
  }
  start();
  return h("div", {}, h("h1", {}, "Events"), filters, list);
};

pages.event = async function (id) {
  const detail = await api(`/events/${encodeURIComponent(id)}`);
  const event = detail.event;
  const matched = detail.rules.filter((r) => r.matched);
  const missed = detail.rules.filter((r) => !r.matched);
  const traceId = traceOf(event.traceHeader);
  return h(
    "div",
    { "data-test": "event-detail" },
    h("h1", {}, `${event.source} · ${event.detailType}`),
    h("p", { className: "muted" }, `${event.id} on ${event.bus} at ${event.time}`,
      event.replayName ? ` (replayed by ${event.replayName})` : "",
      traceId ? [" · ", h("a", { href: `#/trace/${traceId}`, "data-test": "trace-link" }, `trace ${traceId}`)] : ""),
    h("div", { className: "grid2" },
      h("div", { className: "card" }, h("h2", {}, "Event"), h("pre", { "data-test": "envelope" }, pretty(detail.envelope))),
      h("div", {},
        h("div", { className: "card" }, h("h2", {}, `Matched rules (${matched.length})`),
          matched.length ? table(["rule", "targets", "attempts"], matched.map((r) => h("tr", { "data-test": "matched-rule" },
            h("td", {}, `${r.bus}/${r.name}`), h("td", {}, r.targets.map((t) => h("div", {}, `${t.id} → ${t.arn}`))), h("td", { className: "num" }, r.attempts))))
            : h("p", { className: "muted" }, "No rule matches this event.")),
        h("div", { className: "card" }, h("h2", {}, `Rules it did not match (${missed.length})`),
          missed.map((r) => h("div", { "data-test": "missed-rule" }, h("strong", {}, `${r.bus}/${r.name}`), r.branch ? h("span", { className: "muted" }, ` (${r.branch})`) : "",
            h("ul", { className: "why" }, r.why.map((w) => h("li", {}, w)))))))),
    h("h2", {}, "Delivery attempts"),
    table(["at", "rule", "target", "attempt", "outcome", "error"], detail.attempts.map((a) => h("tr", {},
      h("td", {}, when(a.at)), h("td", {}, a.rule), h("td", {}, a.targetId), h("td", { className: "num" }, a.attempt),
      h("td", { className: a.outcome === "DELIVERED" ? "ok" : "bad" }, a.outcome), h("td", {}, a.errorCode ? `${a.errorCode}: ${a.errorMessage || ""}` : "")))),
  );
};

function traceOf(header) {
  const match = /Root=([0-9a-f-]+)/i.exec(header || "");
  return match ? match[1] : null;
}

// ------------------------------------------------------------------------------------------ rules and metrics
pages.rules = async function () {
  const view = pager(["rule", "state", "pattern / schedule", "targets"], (r) => h("tr", { "data-test": "rule-row" },
    h("td", {}, h("strong", {}, r.name), h("div", { className: "muted" }, r.bus), r.description ? h("div", { className: "muted" }, r.description) : ""),
    h("td", { className: r.state === "ENABLED" ? "ok" : "warn" }, r.state),
    h("td", {}, h("pre", {}, r.pattern ? pretty(JSON.parse(r.pattern)) : r.schedule)),
    h("td", {}, r.targets.map((t) => h("div", {}, h("code", {}, t.id), ` → ${t.arn}`,
      t.deadLetterArn ? h("div", { className: "muted" }, `DLQ ${t.deadLetterArn}`) : "",
      h("div", { className: "muted" }, `retries ≤ ${t.retryPolicy.maximumRetryAttempts}, age ≤ ${t.retryPolicy.maximumEventAgeSeconds}s`))))),
    (cursor) => api("/rules", { cursor }));
  view.next();
  return h("div", {}, h("h1", {}, "Rules and targets"), view.element);
};

const METRICS = ["TriggeredRules", "InvocationAttempts", "Invocations", "FailedInvocations", "RetryInvocationAttempts", "InvocationsSentToDlq"];

pages.metrics = async function () {
  const body = h("div", {});
  async function load() {
    const data = await api("/metrics");
    const rows = data.rules.map((r) => {
      const latency = r.latency.IngestionToInvocationStartLatency || {};
      return h("tr", { "data-test": "metric-row" }, h("td", {}, `${r.bus}/${r.rule}`),
        METRICS.map((m) => h("td", { className: "num" }, r.metrics[m] || 0)),
        h("td", { className: "num" }, latency.p50 !== undefined ? `${latency.p50.toFixed(1)} / ${latency.p99.toFixed(1)}` : ""),
        h("td", {}, r.series ? sparkline(r.series) : ""));
    });
    body.replaceChildren(
      h("p", { className: "muted" }, `Account: MatchedEvents ${data.account.MatchedEvents || 0}. Counted since the bus started (CloudWatch names, namespace AWS/Events).`),
      table(["rule", ...METRICS, "start latency p50 / p99 ms", "invocations / min"], rows, { "data-test": "metrics" }));
  }
  await load();
  every(3000, load);
  return h("div", {}, h("h1", {}, "Metrics per rule"), body);
};

function sparkline(points) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "120");
  svg.setAttribute("height", "24");
  svg.setAttribute("class", "spark");
  if (!points.length) return svg;
  const max = Math.max(...points.map((p) => p[1]), 1);
  const t0 = points[0][0];
  const span = Math.max(points[points.length - 1][0] - t0, 1);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map(([t, v]) => `${(((t - t0) / span) * 118 + 1).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`).join(" "));
  svg.append(line);
  return svg;
}

// ------------------------------------------------------------------------------------------ traces and map
pages.traces = async function () {
  const params = hashParams();
  const since = h("input", { name: "since", value: params.get("since") || "-1d", size: 12 });
  const service = h("input", { name: "service", value: params.get("service") || "", placeholder: "service" });
  const text = h("input", { name: "text", value: params.get("text") || "", placeholder: "event id, source…" });
  const fault = h("input", { type: "checkbox", name: "fault", checked: params.get("fault") === "1" });
  const form = h("form", { className: "filters", onsubmit: (e) => {
    e.preventDefault();
    const query = new URLSearchParams({ since: since.value, service: service.value, text: text.value, fault: fault.checked ? "1" : "" });
    location.hash = `#/traces?${query}`;
  } },
  h("label", {}, "Since (ISO, epoch, -1h)", since), h("label", {}, "Service", service), h("label", {}, "Search", text),
  h("label", {}, "Faults only", fault), h("button", { type: "submit" }, "Apply"));
  const view = pager(["start", "root", "services", "duration", "status"], (t) => h("tr", { "data-test": "trace-row" },
    h("td", {}, when(t.start)), h("td", {}, h("a", { href: `#/trace/${t.id}` }, t.root || t.id)),
    h("td", {}, t.services.join(", ")), h("td", { className: "num" }, t.inProgress ? "…" : `${(t.duration * 1000).toFixed(1)} ms`),
    h("td", { className: t.fault ? "bad" : t.error ? "warn" : "ok" }, t.fault ? "fault" : t.error ? "error" : "ok")),
    (cursor) => api("/traces", { since: since.value, service: service.value, text: text.value, fault: fault.checked ? "1" : "", cursor }));
  view.next();
  return h("div", {}, h("h1", {}, "Traces"), form, view.element);
};

pages.trace = async function (id) {
  const trace = await api(`/traces/${encodeURIComponent(id)}`);
  const start = trace.start;
  const total = Math.max(trace.end - start, 1e-6);
  const rows = trace.spans.map((s) => {
    const left = ((s.start - start) / total) * 100;
    const width = (((s.end ?? trace.end) - s.start) / total) * 100;
    return h("div", { className: "row", "data-test": "span" },
      h("div", { className: "name", style: null, title: s.name }, "\u00a0\u00a0".repeat(s.depth), s.name, s.origin ? h("span", { className: "muted" }, ` ${s.origin}`) : ""),
      h("div", { className: "track" }, bar(left, width, s.fault ? "fault" : s.error ? "error" : "")),
      h("div", { className: "num" }, s.duration !== null ? `${(s.duration * 1000).toFixed(1)} ms` : "…"));
  });
  return h("div", {}, h("h1", {}, `Trace ${trace.id}`),
    h("p", { className: "muted" }, `${when(trace.start)} · ${(trace.duration * 1000).toFixed(1)} ms · ${trace.spans.length} spans`),
    h("div", { className: "waterfall card", "data-test": "waterfall" }, rows));
};

function bar(left, width, kind) {
  const node = h("div", { className: `bar ${kind}` });
  node.style.left = `${Math.max(0, left).toFixed(3)}%`;
  node.style.width = `${Math.max(0.2, width).toFixed(3)}%`;
  return node;
}

pages.map = async function () {
  return h("div", { className: "map" }, h("h1", {}, "Service map"),
    h("p", { className: "muted" }, "Producers → buses → rules → targets → consumers; edges show events / errors over the last hour."),
    h("img", { src: `${API}/map.svg?t=${Date.now()}`, alt: "service map", "data-test": "service-map" }));
};

// ------------------------------------------------------------------------------------------ archives and replays
function progress(fraction) {
  const fill = h("span", {});
  fill.style.width = `${(fraction * 100).toFixed(1)}%`;
  return h("span", { className: "progress", title: `${(fraction * 100).toFixed(0)}%` }, fill);
}

pages.archives = async function () {
  const archives = await api("/archives", { limit: 200 });
  const archive = h("select", { name: "archive" }, archives.items.map((a) => h("option", { value: a.name }, a.name)));
  const start = h("input", { name: "start", value: "-15m", size: 22 });
  const end = h("input", { name: "end", value: "now", size: 22 });
  const message = h("span", { "data-test": "replay-message" });
  const replays = h("div", {});
  const form = h("form", { className: "filters", "data-test": "replay-form", onsubmit: async (e) => {
    e.preventDefault();
    message.className = "";
    try {
      const started = await post("/replays", { archive: archive.value, start: start.value, end: end.value });
      message.textContent = `Started ${started.name}`;
      await loadReplays();
    } catch (error) {
      message.className = "bad";
      message.textContent = String(error.message || error);
    }
  } },
  h("label", {}, "Archive", archive), h("label", {}, "From (ISO, epoch, or -15m)", start), h("label", {}, "To", end),
  h("button", { type: "submit", disabled: !archives.items.length }, "Start replay"), message);
  async function loadReplays() {
    const page = await api("/replays", { limit: 50 });
    replays.replaceChildren(table(["replay", "archive", "window", "state", "progress", ""], page.items.map((r) => h("tr", { "data-test": "replay-row", "data-replay": r.name, "data-state": r.state },
      h("td", {}, r.name), h("td", {}, r.archive), h("td", {}, `${when(r.start)} → ${when(r.end)}`),
      h("td", { className: r.state === "COMPLETED" ? "ok" : r.state === "FAILED" ? "bad" : "", "data-test": "replay-state" }, r.state, r.stateReason ? ` (${r.stateReason})` : ""),
      h("td", {}, progress(r.progress)),
      h("td", {}, ["STARTING", "RUNNING"].includes(r.state) ? h("button", { className: "danger", onclick: async () => { await post(`/replays/${encodeURIComponent(r.name)}/cancel`); await loadReplays(); } }, "Cancel") : "")))));
  }
  await loadReplays();
  every(1000, loadReplays);
  return h("div", {}, h("h1", {}, "Archives and replays"),
    table(["archive", "bus", "pattern", "events", "size", "retention"], archives.items.map((a) => h("tr", { "data-test": "archive-row" },
      h("td", {}, a.name), h("td", {}, a.bus), h("td", {}, a.pattern ? h("code", {}, a.pattern) : h("span", { className: "muted" }, "every event")),
      h("td", { className: "num" }, a.eventCount), h("td", { className: "num" }, `${a.sizeBytes} B`), h("td", {}, a.retentionDays ? `${a.retentionDays} days` : "forever")))),
    h("h2", {}, "Replays"), form, replays);
};

// ------------------------------------------------------------------------------------------ queues and DLQs
pages.queues = async function () {
  const view = pager(["queue", "visible", "in flight", "dead letters of"], (q) => h("tr", { "data-test": "queue-row" },
    h("td", {}, h("a", { href: `#/queue/${encodeURIComponent(q.name)}` }, q.name), q.deadLetterFor.length ? [" ", pill("DLQ", "bad")] : ""),
    h("td", { className: "num" }, q.visible), h("td", { className: "num" }, q.inFlight),
    h("td", {}, q.deadLetterFor.map((t) => h("div", {}, t)))),
    (cursor) => api("/queues", { cursor }));
  view.next();
  return h("div", {}, h("h1", {}, "Queues and dead-letter queues"), view.element);
};

pages.queue = async function (name) {
  const detail = h("div", { className: "card", "data-test": "message-detail" }, h("p", { className: "muted" }, "Choose a message."));
  const result = h("div", { "data-test": "redrive-result" });
  async function redrive(messageId) {
    try {
      const answer = await post(`/queues/${encodeURIComponent(name)}/redrive`, messageId ? { messageId } : {});
      result.replaceChildren(h("div", { className: "notice" }, `${answer.redriven.length} redriven, ${answer.failed.length} failed`,
        answer.redriven.map((r) => h("div", { "data-test": "redriven" }, "event ", h("a", { href: `#/event/${r.newEventId}` }, r.newEventId), ` on ${r.bus} (was ${r.eventId})`)),
        answer.failed.map((f) => h("div", { className: "bad" }, `${f.messageId}: ${f.error}`))));
      reload();
    } catch (error) {
      result.replaceChildren(failure(error));
    }
  }
  function show(m) {
    detail.replaceChildren(h("h2", {}, `Message ${m.id}`),
      h("p", {}, `sent ${when(m.sentAt)}, received ${m.receiveCount} times`, m.eventId ? [" · event ", h("a", { href: `#/event/${m.eventId}` }, m.eventId)] : ""),
      table(["attribute", "value"], Object.entries({ ...m.attributes, ...m.systemAttributes }).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v)))),
      h("pre", {}, pretty(m.body)),
      m.redrivable ? h("button", { "data-test": "redrive-one", onclick: () => redrive(m.id) }, "Redrive this message") : h("p", { className: "muted" }, "Not an EventBridge dead letter: nothing to redrive."));
  }
  let view = null;
  const holder = h("div", {});
  function reload() {
    view = pager(["sent", "event", "error", "retries", ""], (m) => h("tr", { "data-test": "message-row" },
      h("td", {}, when(m.sentAt)), h("td", {}, m.body && m.body["detail-type"] ? `${m.body.source} · ${m.body["detail-type"]}` : ""),
      h("td", { className: "bad" }, m.attributes.ERROR_CODE || ""), h("td", { className: "num" }, m.attributes.RETRY_ATTEMPTS || ""),
      h("td", {}, h("button", { className: "secondary", "data-test": "show-message", onclick: () => show(m) }, "Show"))),
      (cursor) => api(`/queues/${encodeURIComponent(name)}/messages`, { cursor }), { "data-test": "messages" });
    holder.replaceChildren(view.element);
    view.next();
  }
  reload();
  return h("div", {}, h("h1", {}, `Queue ${name}`),
    h("div", { className: "toolbar" }, h("button", { className: "secondary", onclick: () => redrive(null) }, "Redrive all (up to 100)")),
    result, h("div", { className: "grid2" }, holder, detail));
};

// ------------------------------------------------------------------------------------------ schemas
pages.schemas = async function () {
  const registries = await api("/registries");
  const params = hashParams();
  const registry = h("select", {}, registries.items.map((r) => h("option", { value: r.name }, r.name)));
  registry.value = params.get("registry") || (registries.items.some((r) => r.name === "choreo") ? "choreo" : registries.items[0]?.name || "");
  const holder = h("div", {});
  function load() {
    const view = pager(["schema", "versions", "mode", "status"], (s) => h("tr", { "data-test": "schema-row" },
      h("td", {}, h("a", { href: `#/schema/${encodeURIComponent(s.registry)}/${encodeURIComponent(s.name)}` }, s.name)),
      h("td", { className: "num" }, s.versions), h("td", {}, s.mode || h("span", { className: "muted" }, "no contract")),
      h("td", { className: s.status === "incompatible" ? "bad" : s.status === "compatible" ? "ok" : "muted" }, s.status)),
      (cursor) => api("/schemas", { registry: registry.value, cursor }));
    holder.replaceChildren(view.element);
    view.next();
  }
  registry.addEventListener("change", load);
  load();
  return h("div", {}, h("h1", {}, "Schemas"), h("div", { className: "toolbar" }, h("label", {}, "Registry", registry)), holder);
};

pages.schema = async function (registry, name) {
  const s = await api(`/schemas/${encodeURIComponent(registry)}/${encodeURIComponent(name)}`);
  const content = h("pre", {}, s.versions.length ? pretty(JSON.parse(s.versions[s.versions.length - 1].content)) : "");
  return h("div", { "data-test": "schema-detail" }, h("h1", {}, s.name),
    h("p", {}, s.description || "", " ", s.mode ? pill(`mode ${s.mode}`) : pill("no contract", "muted"), " ",
      h("span", { className: s.status === "incompatible" ? "bad" : "ok" }, s.status)),
    s.contractsError ? h("p", { className: "error" }, s.contractsError) : "",
    h("h2", {}, "Steps between versions"),
    s.steps.length ? s.steps.map((step) => h("div", { className: "card", "data-test": "schema-step" },
      h("strong", {}, `${step.from} → ${step.to}`), " ",
      h("span", { className: step.verdict.startsWith("violates") ? "bad" : "ok" }, step.verdict),
      step.satisfies ? h("span", { className: "muted" }, ` · satisfies: ${step.satisfies.join(", ") || "none"}`) : "",
      step.error ? h("p", { className: "error" }, step.error) : "",
      step.changes.length ? table(["path", "change", "detail", "breaks"], step.changes.map((c) => h("tr", {},
        h("td", {}, h("code", {}, c.path)), h("td", {}, c.kind), h("td", {}, c.detail), h("td", { className: c.breaks.length ? "bad" : "ok" }, c.breaks.join(", ") || "nothing"))))
        : h("p", { className: "muted" }, "No changes to detail."))) : h("p", { className: "muted" }, "One version only."),
    h("h2", {}, "Versions"),
    h("div", { className: "toolbar" }, s.versions.map((v) => h("button", { className: "secondary", onclick: () => { content.textContent = pretty(JSON.parse(v.content)); } }, `${v.label} (v${v.version})`))),
    content);
};

// ------------------------------------------------------------------------------------------ connections
pages.connections = async function () {
  const connections = pager(["connection", "authorization", "state", "public parameters"], (c) => h("tr", { "data-test": "connection-row" },
    h("td", {}, h("strong", {}, c.Name), h("div", { className: "muted" }, c.ConnectionArn)), h("td", {}, c.AuthorizationType),
    h("td", { className: c.ConnectionState === "AUTHORIZED" ? "ok" : "warn" }, c.ConnectionState, c.StateReason ? ` (${c.StateReason})` : ""),
    h("td", {}, h("pre", {}, pretty(c.AuthParameters || {})))),
    (cursor) => api("/connections", { cursor }));
  const destinations = pager(["API destination", "endpoint", "state", "rate limit / s"], (d) => h("tr", { "data-test": "destination-row" },
    h("td", {}, h("strong", {}, d.Name), h("div", { className: "muted" }, d.ConnectionArn)), h("td", {}, `${d.HttpMethod} ${d.InvocationEndpoint}`),
    h("td", { className: d.ApiDestinationState === "ACTIVE" ? "ok" : "warn" }, d.ApiDestinationState),
    h("td", { className: "num" }, d.InvocationRateLimitPerSecond)),
    (cursor) => api("/api-destinations", { cursor }));
  connections.next();
  destinations.next();
  return h("div", {}, h("h1", {}, "Connections and API destinations"),
    h("p", { className: "muted" }, "As EventBridge's API shows them: secrets are never returned."),
    connections.element, h("h2", {}, "API destinations"), destinations.element);
};

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);
