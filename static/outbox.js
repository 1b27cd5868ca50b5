// The outbox section: the invitations and magic links Latchkey would have mailed.

import { api, query } from "./api.js";
import { h, serverPager, when, subtitle } from "./ui.js";

export async function renderOutbox(ui) {
  ui.page ||= 1;
  const res = await api("GET", `/v1/latchkey/outbox?${query({ pageSize: 10, pageNumber: ui.page })}`);
  const mails = res.data.length
    ? h("ul", { class: "mails", "aria-label": "Mails" }, res.data.map((m) => h("li", { class: "mail" },
      h("div", { class: "mail-head" },
        h("strong", { class: "subject" }, m.subject),
        h("span", { class: "muted" }, "to ", h("span", { class: "to" }, m.to), " · ", when(m.createdAt))),
      h("details", {}, h("summary", {}, "Message"), h("pre", { class: "body" }, m.body)))))
    : h("p", { class: "empty" }, "Nothing was sent yet.");
  return [
    subtitle("Latchkey does not send email: invitations and magic links are kept here, newest first, for you to pass on."),
    mails,
    serverPager("Outbox", ui, res.pagination),
  ];
}
