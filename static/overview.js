// The overview (the landing view): what is happening in the picked environment, drawn by this
// page as inline SVG from GET /v1/latchkey/overview, the same figures a script can read.

import { api, query } from "./api.js";
import { currentEnv, state } from "./state.js";
import { fromNow, h, subtitle, table, when } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";

const KIND_NAMES = {
  "secret-key": "Secret key",
  "publishable-key": "Publishable key",
  "publishable-key-token": "Publishable key token",
  "space-token": "Space token",
  "guest-token": "Guest token",
  "login-token": "Sign-in token",
  "personal-access-token": "Personal access token",
  "client-credentials-token": "Client credentials token",
  "access-token": "Access token",
  none: "No credential",
};
const kindName = (k) => KIND_NAMES[k] || k;

export async function renderOverview(ui) {
  const env = currentEnv();
  const { data } = await api("GET", `/v1/latchkey/overview?${query({ environmentId: env.id })}`);
  ui.window ||= "last24Hours";
  const body = h("div", { class: "overview-body" });
  const buttons = WINDOWS.map(([w, label]) => h("button", {
    type: "button", class: "secondary small", "data-window": w,
    onclick: () => { ui.window = w; draw(); },
  }, label));
  const draw = () => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.window === ui.window));
    body.replaceChildren(...charts(data, ui.window, env));
  };
  draw();
  const pick = h("div", { class: "segmented", role: "group", "aria-label": "Time range" }, buttons);
  return [
    subtitle("What is happening in ", h("strong", {}, env.name), ", as of ", when(data.generatedAt), ". Every figure here comes from ",
      h("code", {}, "GET /v1/latchkey/overview"), "."),
    tiles(data),
    h("div", { class: "toolbar" }, pick),
    body,
    credentials(data),
    recentEvents(data),
  ];
}

function tiles(data) {
  const t = (label, value, id) => h("div", { class: "tile", "data-figure": id },
    h("span", { class: "tile-value" }, String(value)), h("span", { class: "tile-label" }, label));
  const backup = data.lastBackupAt ? fromNow(data.lastBackupAt) : "never";
  return h("section", { class: "tiles", "aria-label": "Key figures" },
    t("Requests to this environment, 24 h", data.environment.totals.last24Hours.requests, "environment-requests-24h"),
    t("Requests to this environment, 30 days", data.environment.totals.last30Days.requests, "environment-requests-30d"),
    t("Authentication failures, 24 h (account)", data.account.totals.last24Hours.failures, "failures-24h"),
    t("Authentication failures, 30 days (account)", data.account.totals.last30Days.failures, "failures-30d"),
    h("div", { class: "tile", "data-figure": "last-backup" },
      h("span", { class: "tile-value" }, data.lastBackupAt ? when(data.lastBackupAt) : "Never"),
      h("span", { class: "tile-label" }, `Last backup (${backup})`)));
}

const WINDOWS = [["last24Hours", "Last 24 hours"], ["last30Days", "Last 30 days"]];

function charts(data, window, env) {
  const windowName = WINDOWS.find(([w]) => w === window)[1];
  return [
    chart(`Requests to ${env.name} by credential kind, ${windowName.toLowerCase()}`, data.environment[window], "requests", window),
    chart(`Account-wide requests with users' credentials, ${windowName.toLowerCase()}`, data.account[window], "requests", window),
    chart(`Authentication failures by credential kind presented, ${windowName.toLowerCase()}`, data.account[window], "failures", window),
  ];
}

/** A stacked bar chart of `buckets[what]` by kind, with a legend and the numbers as a table. */
function chart(title, buckets, what, window) {
  const kinds = [...new Set(buckets.flatMap((b) => Object.keys(b[what])))].sort((a, b) => order(a) - order(b));
  const totals = buckets.map((b) => Object.values(b[what]).reduce((a, n) => a + n, 0));
  const sum = totals.reduce((a, n) => a + n, 0);
  const label = (b) => (window === "last24Hours"
    ? new Date(b.start).toISOString().slice(11, 16)
    : new Date(b.start).toISOString().slice(5, 10));
  const figure = h("figure", { class: "chart", "data-chart": what },
    h("figcaption", {}, h("strong", {}, title), " ", h("span", { class: "muted" }, `(total ${sum})`)));
  if (!sum) {
    figure.append(h("p", { class: "empty" }, "Nothing in this period."));
    return figure;
  }
  const width = 720;
  const height = 180;
  const pad = { left: 36, bottom: 22, top: 8 };
  const max = Math.max(...totals);
  const slot = (width - pad.left) / buckets.length;
  const y = (n) => ((height - pad.bottom - pad.top) * n) / max;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "bars",
    "aria-label": `${title}: ${sum} in all, at most ${max} in one ${window === "last24Hours" ? "hour" : "day"}.` });
  svg.append(svgEl("line", { x1: pad.left, x2: width, y1: height - pad.bottom, y2: height - pad.bottom, class: "axis" }));
  svg.append(svgText(pad.left - 6, pad.top + 8, String(max), "end"));
  svg.append(svgText(pad.left - 6, height - pad.bottom, "0", "end"));
  buckets.forEach((b, i) => {
    let top = height - pad.bottom;
    const x = pad.left + i * slot + slot * 0.15;
    for (const kind of kinds) {
      const n = b[what][kind] || 0;
      if (!n) continue;
      const barHeight = Math.max(1, y(n));
      top -= barHeight;
      const rect = svgEl("rect", { x, y: top, width: slot * 0.7, height: barHeight, class: `kind-${order(kind)}` });
      rect.append(svgEl("title", {}, `${label(b)}: ${n} ${kindName(kind)}`));
      svg.append(rect);
    }
    const every = window === "last24Hours" ? 3 : 5;
    if (i % every === 0) svg.append(svgText(x + slot * 0.35, height - 6, label(b), "middle"));
  });
  const legend = h("ul", { class: "legend", "aria-label": "Legend" }, kinds.map((k) =>
    h("li", {}, h("span", { class: `swatch kind-${order(k)}`, "aria-hidden": "true" }), kindName(k))));
  const rows = kinds.map((k) => ({ id: k, kind: k, total: buckets.reduce((a, b) => a + (b[what][k] || 0), 0) }));
  const numbers = h("details", { class: "numbers" }, h("summary", {}, "The numbers"),
    table(`${title}: totals by kind`, [
      { label: "Credential kind", cell: (r) => kindName(r.kind) },
      { label: "Count", cell: (r) => String(r.total) },
    ], rows, ""));
  figure.append(svg, legend, numbers);
  return figure;
}

const ORDER = Object.keys(KIND_NAMES);
const order = (kind) => (ORDER.includes(kind) ? ORDER.indexOf(kind) : ORDER.length);

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

function svgText(x, y, text, anchor) {
  return svgEl("text", { x, y, "text-anchor": anchor, class: "tick" }, text);
}

function credentials(data) {
  const c = data.credentials;
  const who = (item) => (item.userId && item.userId === state.me?.id ? "you" : item.userId || "—");
  const list = (title, items, columns, empty) => h("section", { class: "panel", "aria-label": title },
    h("h2", {}, title), table(title, columns, items, empty));
  return h("div", { class: "overview-credentials" },
    list("Keys and tokens expiring soon", c.expiringSoon, [
      { label: "Credential", cell: (k) => [kindName(k.kind), h("small", { class: "id" }, k.id)] },
      { label: "Stops working", cell: (k) => [fromNow(k.expiresAt), " (", when(k.expiresAt), ")"] },
    ], "Nothing expires in the next 7 days."),
    list("Credentials never used", c.neverUsed, [
      { label: "Token", cell: (t) => [h("strong", {}, t.name), h("small", { class: "id" }, t.id)] },
      { label: "Owner", cell: who },
      { label: "Created", cell: (t) => when(t.createdAt) },
    ], "Every personal access token has been used."),
    list("Credentials unused for 30 days", c.unusedFor30Days, [
      { label: "Token", cell: (t) => [h("strong", {}, t.name), h("small", { class: "id" }, t.id)] },
      { label: "Owner", cell: who },
      { label: "Last used", cell: (t) => when(t.lastUsedAt) },
    ], "No personal access token has been idle for 30 days."),
    h("ul", { class: "notes", "aria-label": "What these lists cannot show" }, c.notes.map((n) => h("li", { class: "muted" }, n))));
}

function recentEvents(data) {
  return h("section", { class: "panel", "aria-label": "Recent audit events" },
    h("h2", {}, "Recent audit events"),
    table("Recent audit events", [
      { label: "Time", cell: (e) => when(e.createdAt) },
      { label: "Topic", cell: (e) => h("code", {}, e.topic) },
    ], data.recentEvents, "Nothing happened in this environment yet."),
    h("p", {}, h("a", { href: "#/audit" }, "The whole audit log")));
}
