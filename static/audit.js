// The audit log section: every change and sign-in, filtered and paged.

import { api, query, allPages } from "./api.js";
import { state, refresh, envName } from "./state.js";
import { h, field, select, form, button, table, pager, when, subtitle } from "./ui.js";

const TOPICS = [
  "api-key:created", "api-key:deleted", "api-key:rotated", "auth:login-failed",
  "auth:login-succeeded", "auth:login-throttled", "environment:created", "environment:updated",
  "guest:deleted", "guest:invited", "guest:link-redeemed", "guest:token-issued", "pat:created",
  "pat:deleted", "secret:created", "secret:deleted", "secret:updated", "space:archived",
  "space:created", "space:guestAdded", "space:guestRemoved", "space:unarchived", "user:deleted",
  "user:invite-resent", "user:invited", "user:password-set", "user:role-changed",
  "workbook:created",
];

export async function renderAudit(ui) {
  const size = 20;
  ui.filters ||= { environmentId: "", topic: "", since: "" };
  ui.page ||= 1;
  if (ui.page === 1) ui.until = null; // page 1 reads the newest; later pages keep its snapshot
  const f = ui.filters;
  const [{ data: events }, people] = await Promise.all([
    api("GET", `/v1/events?${query({
      environmentId: f.environmentId, topic: f.topic, since: f.since && new Date(f.since).toISOString(),
      until: ui.until, pageSize: size, pageNumber: ui.page, includeAcknowledged: "true",
    })}`),
    ui.people || allPages("/v1/users").then((users) => new Map(users.map((u) => [u.id, u.email]))),
  ]);
  ui.people = people;
  if (ui.page === 1 && events.length) ui.until = events[0].createdAt;

  const topics = h("datalist", { id: "audit-topics" }, TOPICS.map((t) => h("option", { value: t })));
  const filters = form("Filter the audit log", [
    field("Environment", select({ name: "environmentId" }, [["", "All environments"], ...state.envs.map((e) => [e.id, e.name])], f.environmentId)),
    field("Topic", h("input", { name: "topic", list: "audit-topics", value: f.topic, placeholder: "any topic", autocomplete: "off" })),
    field("Since", h("input", { name: "since", type: "datetime-local", value: f.since })),
    topics,
  ], "Apply filters", (data) => {
    ui.filters = { environmentId: data.get("environmentId"), topic: data.get("topic").trim(), since: data.get("since") };
    ui.page = 1;
    refresh();
  });
  filters.querySelector(".submit").append(button("Reset", () => {
    ui.filters = null;
    ui.page = 1;
    refresh();
  }));

  const actor = (id) => (id ? people.get(id) || id : "—");
  return [
    subtitle("Every change and sign-in, newest first."),
    filters,
    table("Audit events", [
      { label: "Time", cell: (e) => when(e.createdAt) },
      { label: "Topic", cell: (e) => h("code", {}, e.topic) },
      { label: "Environment", cell: (e) => (e.context?.environmentId ? envName(e.context.environmentId) : "—") },
      { label: "Actor", cell: (e) => actor(e.context?.actorId) },
      { label: "Details", class: "details", cell: (e) => (Object.keys(e.payload || {}).length
        ? h("details", {}, h("summary", {}, "Payload"), h("pre", {}, JSON.stringify(e.payload, null, 2)))
        : "—") },
    ], events, ui.page > 1 ? "No more events." : "No events match these filters."),
    pager("Audit log", { page: ui.page, hasNext: events.length === size }, (p) => {
      ui.page = p;
      refresh();
    }),
  ];
}
