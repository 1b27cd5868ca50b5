// DOM helpers and feedback (toasts, the confirm dialog, copying) shared by every section.

import { refresh } from "./state.js";

export const $ = (selector) => document.querySelector(selector);
let lastId = 0;
const newId = (prefix) => `${prefix}-${++lastId}`;

/** Builds an element. `on…` props become listeners; `value`/`checked` are set as properties. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  const late = {};
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value" || key === "checked") late[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return Object.assign(el, late);
}

/** A labelled form control. */
export function field(label, control, hint) {
  control.id ||= newId("field");
  return h("div", { class: "field" },
    h("label", { for: control.id }, label), control, hint && h("small", { class: "hint" }, hint));
}

export function select(props, options, value) {
  return h("select", { id: newId("select"), ...props, value },
    options.map(([v, label]) => h("option", { value: v }, label)));
}

/** A form whose submit runs `onSubmit(formData, form)`, showing the server's error on failure. */
export function form(label, fields, submitLabel, onSubmit) {
  const el = h("form", { class: "inline-form", "aria-label": label, novalidate: true },
    fields, h("div", { class: "field submit" }, h("button", { type: "submit" }, submitLabel)));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!el.reportValidity()) return;
    const button = el.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await onSubmit(new FormData(el), el);
    } catch (error) {
      notify(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/** A button whose click runs `handler`, disabled meanwhile; errors are shown, not thrown. */
export function button(label, handler, props = {}) {
  const el = h("button", { type: "button", class: "secondary small", ...props }, label);
  el.addEventListener("click", async () => {
    el.disabled = true;
    try {
      await handler(el);
    } catch (error) {
      notify(error.message, "error");
    } finally {
      el.disabled = false;
    }
  });
  return el;
}

export function table(label, columns, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", { class: "list", "aria-label": label },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", { "data-id": row.id, class: row.rowClass },
        columns.map((c) => h("td", { "data-label": c.label, class: c.class }, h("div", { class: "cell" }, c.cell(row)))))))));
}

/** Previous / next controls; `pageCount` may be unknown (the audit log has none). */
export function pager(label, { page, pageCount, hasNext }, onPage) {
  if (page <= 1 && !hasNext) return null;
  return h("nav", { class: "pager", "aria-label": `${label} pages` },
    h("button", { type: "button", class: "secondary small", disabled: page <= 1, onclick: () => onPage(page - 1) }, "‹ Previous"),
    h("span", { class: "page" }, pageCount ? `Page ${page} of ${pageCount}` : `Page ${page}`),
    h("button", { type: "button", class: "secondary small", disabled: !hasNext, onclick: () => onPage(page + 1) }, "Next ›"));
}

/** Pages a list the server answers whole. */
export function pageLocally(label, items, ui, size = 10) {
  const pageCount = Math.max(1, Math.ceil(items.length / size));
  ui.page = Math.min(Math.max(1, ui.page || 1), pageCount);
  const controls = pager(label, { page: ui.page, pageCount, hasNext: ui.page < pageCount }, (p) => {
    ui.page = p;
    refresh();
  });
  return { items: items.slice((ui.page - 1) * size, ui.page * size), controls };
}

export function serverPager(label, ui, pagination) {
  const pageCount = pagination?.pageCount || 1;
  return pager(label, { page: ui.page, pageCount, hasNext: ui.page < pageCount }, (p) => {
    ui.page = p;
    refresh();
  });
}

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function when(iso) {
  return iso ? h("time", { datetime: iso, title: iso }, dateFormat.format(new Date(iso))) : "—";
}

export function fromNow(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return relativeFormat.format(Math.round(seconds), "second");
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

// ---------------------------------------------------------------------------------------------
// Feedback: toasts, the confirm dialog, copying

export function notify(message, kind = "ok") {
  const toasts = $("#toasts");
  const toast = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", {}, message),
    h("button", { type: "button", class: "close", "aria-label": "Dismiss", onclick: () => toast.remove() }, "×"));
  toasts.append(toast);
  while (toasts.children.length > 3) toasts.firstElementChild.remove();
  setTimeout(() => toast.remove(), kind === "error" ? 12000 : 6000);
}

/** An in-page confirmation; resolves true when the person confirms. */
export function confirmAction(message, actionLabel = "Delete") {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = message;
  $("#confirm-ok").textContent = actionLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("#confirm-cancel").focus();
  });
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No async clipboard (plain http on another host, or permission refused): the old way.
    const area = h("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    if (!copied) {
      notify(`Could not copy ${what}; reveal it and copy it by hand.`, "error");
      return;
    }
  }
  notify(`Copied ${what} to the clipboard.`);
}

export function copyButton(text, what) {
  return button("Copy", () => copy(text, what), { "aria-label": `Copy ${what}` });
}

/** A value shown as dots until revealed, with reveal and copy buttons. */
export function masked(value, what, prefix = "") {
  const hidden = `${prefix}${"•".repeat(12)}`;
  const code = h("code", { class: "secret masked" }, hidden);
  const toggle = h("button", { type: "button", class: "secondary small", "aria-pressed": "false", "aria-label": `Reveal ${what}` }, "Reveal");
  toggle.addEventListener("click", () => {
    const show = toggle.getAttribute("aria-pressed") !== "true";
    code.textContent = show ? value : hidden;
    code.classList.toggle("masked", !show);
    toggle.setAttribute("aria-pressed", String(show));
    toggle.setAttribute("aria-label", `${show ? "Hide" : "Reveal"} ${what}`);
    toggle.textContent = show ? "Hide" : "Reveal";
  });
  return h("span", { class: "value" }, code, h("span", { class: "buttons" }, toggle, copyButton(value, what)));
}

export function subtitle(...parts) {
  return h("p", { class: "subtitle" }, ...parts);
}
