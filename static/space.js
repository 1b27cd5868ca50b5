// The guest-facing space page. It opens as
//   /s/space/{spaceId}?token=<access token>   (the embed's iframe, or a link with a token)
//   /join/{spaceId}#token=lt_…                  (a magic link: redeemed once for a guest token)
//   /join/{spaceId}                             (a shared link: join with an email)
// and shows the space's name, its workbooks, and who is signed in until when. It only calls the
// API of this origin, with the token it was given; the token is then dropped from the address.
"use strict";

const $ = (id) => document.getElementById(id);
const SPACE_ID = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const STORED = `latchkey-space-token:${SPACE_ID}`;
const STORED_EMAIL = `latchkey-space-email:${SPACE_ID}`;
/** The email a link or join was for, when the server said (`sentTo`). */
let signedInEmail = null;

function status(text, isError) {
  const el = $("status");
  el.hidden = !text;
  el.textContent = text || "";
  el.classList.toggle("error", Boolean(isError));
}

async function api(method, path, token, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const message = json?.errors?.[0]?.message || `the server answered ${res.status}`;
    throw new Error(message);
  }
  return json;
}

function remember(token) {
  try {
    sessionStorage.setItem(STORED, token);
    if (signedInEmail) sessionStorage.setItem(STORED_EMAIL, signedInEmail);
    else sessionStorage.removeItem(STORED_EMAIL);
  } catch { /* storage may be off in a frame */ }
}

function recalled() {
  try {
    signedInEmail = sessionStorage.getItem(STORED_EMAIL);
    return sessionStorage.getItem(STORED);
  } catch { return null; }
}

/** Drops the token from the address bar (and from history), keeping the path. */
function forgetAddress() {
  history.replaceState(null, "", location.pathname);
}

async function tokenFromLink() {
  const query = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.slice(1));
  const direct = query.get("token");
  if (direct) return direct;
  const link = hash.get("token");
  if (link) {
    status("Opening your invitation…");
    const answer = await api("POST", "/v1/invitations/exchange", null, { token: link });
    if (!answer.data?.valid) throw new Error("This invitation link has expired or was already used. Ask for a new one.");
    signedInEmail = answer.data.sentTo || null;
    return answer.data.token;
  }
  return recalled();
}

function joinWithEmail() {
  return new Promise((resolve) => {
    status("");
    const form = $("join-form");
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const email = $("join-email").value.trim();
      if (!email) return;
      try {
        const answer = await api("POST", "/v1/invitations/exchange", null, { email, spaceId: SPACE_ID });
        form.hidden = true;
        signedInEmail = answer.data.sentTo || email;
        resolve(answer.data.token);
      } catch (e) {
        status(e.message, true);
      }
    });
  });
}

function describe(who) {
  const until = who.expiresAt ? new Date(who.expiresAt).toLocaleString() : "no set time";
  const names = {
    space: "an embedded session (space token)",
    guest: signedInEmail ? `guest ${signedInEmail}` : `guest ${who.id}`,
    user: `user ${who.id} (${who.role})`,
    environment: `key ${who.id}`,
  };
  return `Signed in as ${names[who.kind] || who.kind} until ${until}`;
}

async function show(token) {
  status("Loading the space…");
  const [who, space, workbooks] = await Promise.all([
    api("GET", "/v1/latchkey/whoami", token),
    api("GET", `/v1/spaces/${encodeURIComponent(SPACE_ID)}`, token),
    api("GET", `/v1/workbooks?spaceId=${encodeURIComponent(SPACE_ID)}`, token),
  ]);
  if (!who.data?.valid) throw new Error("Your sign-in has ended. Open the link again.");
  $("space-name").textContent = space.data.name;
  $("space-id").textContent = space.data.id;
  document.title = `${space.data.name} · Latchkey`;
  $("who").textContent = describe(who.data);
  const list = $("workbooks");
  list.replaceChildren(...workbooks.data.map((wb) => {
    const li = document.createElement("li");
    li.textContent = wb.name || wb.id;
    return li;
  }));
  $("no-workbooks").hidden = workbooks.data.length > 0;
  status("");
  $("space").hidden = false;
}

async function main() {
  let token = await tokenFromLink();
  forgetAddress();
  if (!token && location.pathname.startsWith("/join/")) token = await joinWithEmail();
  if (!token) throw new Error("Open this page from the link you were given: it carries your sign-in.");
  remember(token);
  await show(token);
}

main().catch((e) => status(e.message, true));
