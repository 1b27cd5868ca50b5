// End-to-end test of the admin page (/admin) in Debian's headless Chromium, driven by
// playwright-core, against the real latchkey binary started by tests/browser.rs.
//
// Environment (set by `cargo test --test browser`):
//   LATCHKEY_URL             http://127.0.0.1:PORT, no trailing slash
//   LATCHKEY_ADMIN_EMAIL     the bootstrap Administrator
//   LATCHKEY_ADMIN_PASSWORD  their password
//   LATCHKEY_BROWSER_OUTPUT  where screenshots go (default: ./output)
//   LATCHKEY_CHROMIUM        the browser (default: /usr/bin/chromium)
//
// Every screen is saved as a PNG. Any console error or uncaught page error fails the test; the
// only console errors tolerated are Chromium's "Failed to load resource: … status of N" lines for
// the few requests a step makes to fail on purpose (announced with `expectingHttpError`).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE, CHROMIUM, OUTPUT } from "./env.mjs";
import { accessibilityViolations } from "./a11y.mjs";

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const MEMBER = { email: "mia.member@example.com", name: "Mia Member", password: "member-password-123" };
const GUEST = { email: "gail.guest@example.com", name: "Gail Guest" };

let context;
let page;
let userDataDir;
let shot = 0;
const problems = [];
const expectedStatuses = [];

// ---------------------------------------------------------------------------------------------
// Helpers

/** Calls the API directly (not through the page), to check what the page did. */
async function api(token, method, path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  return { status: res.status, headers: res.headers, json };
}

async function adminToken() {
  const res = await api(null, "POST", "/v1/auth", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.accessToken;
}

/** Saves the screen as a PNG, after checking it with axe-core (WCAG 2.1 A and AA). */
async function screenshot(name) {
  const violations = await accessibilityViolations(page);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
  shot += 1;
  const file = join(OUTPUT, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Waits until the section view has finished re-rendering. A change re-renders the view from the
 * server after its toast appears; typing into the old view meanwhile would be lost.
 */
const settled = () => page.waitForFunction(() => !document.getElementById("view").hasAttribute("aria-busy"));

/** Runs `action` and waits for a success toast matching `text`; fails on an error toast. */
async function expectSuccess(action, text) {
  await page.evaluate(() => document.getElementById("toasts").replaceChildren());
  await action();
  const toast = page.locator("#toasts .toast").first();
  await toast.waitFor();
  const message = await toast.innerText();
  assert.ok(!(await toast.getAttribute("class")).includes("error"), `expected "${text}", the page showed the error: ${message}`);
  assert.match(message, text instanceof RegExp ? text : new RegExp(escapeRegExp(text)));
  await settled();
  return message;
}

/** Allows one "Failed to load resource … status of `status`" console line while `action` runs. */
async function expectingHttpError(status, action) {
  expectedStatuses.push(status);
  await action();
  for (let i = 0; i < 20 && expectedStatuses.includes(status); i += 1) await page.waitForTimeout(50);
  const left = expectedStatuses.indexOf(status);
  if (left >= 0) expectedStatuses.splice(left, 1);
}

function assertNoProblems() {
  assert.deepEqual(problems, [], `the page logged errors:\n${problems.join("\n")}`);
}

async function openSection(name) {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true }).click();
  await page.locator("#view h1", { hasText: name }).waitFor();
  await settled();
}

const rows = (tableName) => page.getByRole("table", { name: tableName, exact: true }).locator("tbody tr");
const row = (tableName, text) => rows(tableName).filter({ hasText: text });
const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

async function confirmDialog(buttonName) {
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  await dialog.getByRole("button", { name: buttonName }).click();
  await dialog.waitFor({ state: "hidden" });
}

async function signIn(email, password) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#app-view").waitFor();
  await page.waitForFunction(() => !document.getElementById("view").hasAttribute("aria-busy")
    && document.querySelector("#view h1"));
}

async function signOut() {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("latchkey.token")), null);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  for (const f of readdirSync(OUTPUT)) if (f.endsWith(".png")) rmSync(join(OUTPUT, f));
  userDataDir = mkdtempSync(join(tmpdir(), "latchkey-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    const failed = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
    const i = failed ? expectedStatuses.indexOf(Number(failed[1])) : -1;
    if (i >= 0) expectedStatuses.splice(i, 1);
    else problems.push(`console error: ${text} (${msg.location().url}:${msg.location().lineNumber})`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught page error: ${error.message}`));
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test("the page is self-contained and sent with the security headers", async () => {
  const index = await fetch(`${BASE}/admin/`);
  const html = await index.text();
  assert.equal(index.headers.get("content-security-policy"), PAGE_CSP);
  assert.equal(index.headers.get("x-content-type-options"), "nosniff");
  assert.equal(index.headers.get("referrer-policy"), "no-referrer");
  assert.equal(index.headers.get("x-frame-options"), "DENY");
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)/i, "inline <script>");
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, "inline style or handler attribute");
  assert.doesNotMatch(html, /https?:\/\//i, "an external URL in index.html");
  // app.js and every module it imports, transitively (the SVG namespace is a name, not a fetch).
  const assets = ["style.css", "app.js"];
  for (const asset of assets) {
    const res = await fetch(`${BASE}/admin/${asset}`);
    assert.equal(res.status, 200, asset);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const text = await res.text();
    assert.doesNotMatch(text, /https?:\/\/(?!127\.0\.0\.1|www\.w3\.org\/2000\/svg")[a-z]/i, `an external URL in ${asset}`);
    if (asset.endsWith(".js")) {
      assert.match(res.headers.get("content-type"), /^text\/javascript/);
      for (const [, module] of text.matchAll(/from "\.\/([\w-]+\.js)"/g)) if (!assets.includes(module)) assets.push(module);
    }
  }
  assert.ok(assets.length > 10, `the modules found: ${assets.join(", ")}`);
  const apiRes = await api(null, "GET", "/v1/latchkey/whoami");
  assert.equal(apiRes.headers.get("x-content-type-options"), "nosniff");
  assert.equal(apiRes.headers.get("referrer-policy"), "no-referrer");
  assert.equal(apiRes.headers.get("x-frame-options"), "DENY");
  assert.match(apiRes.headers.get("content-security-policy"), /frame-ancestors 'none'/);
});

test("sign in: a wrong password shows the server's message, the right one opens the page", async () => {
  const response = await page.goto(`${BASE}/admin`);
  assert.equal(response.headers()["content-security-policy"], PAGE_CSP);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await screenshot("sign-in");

  await expectingHttpError(401, async () => {
    await page.getByLabel("Email", { exact: true }).fill(ADMIN_EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#signin-error:not([hidden])").waitFor();
  });
  assert.match(await page.locator("#signin-error").innerText(), /email or password/i);
  await screenshot("sign-in-error");

  await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.locator("#view h1", { hasText: "Overview" }).waitFor();
  await screenshot("overview");
  await openSection("API keys");
  const token = await page.evaluate(() => sessionStorage.getItem("latchkey.token"));
  assert.match(token, /^eyJ/);
  assert.ok(!page.url().includes(token), "the token is in the URL");
  assert.equal(await page.locator("#who .badge").innerText(), "Administrator");
  assertNoProblems();
});

let createdKey;

test("API keys: create, reveal and copy a key", async () => {
  const before = await rows("API keys").count();
  await expectSuccess(() => page.getByRole("button", { name: "Create key" }).click(), "Created a secret key in development");
  await page.locator("tr.highlight").waitFor();
  assert.equal(await rows("API keys").count(), before + 1);
  const keyRow = page.locator("tr.highlight");
  createdKey = { id: await keyRow.getAttribute("data-id") };
  const value = keyRow.locator("code.secret");
  assert.match(await value.innerText(), /^sk_•+$/, "the key is masked until revealed");

  await keyRow.getByRole("button", { name: /^Reveal/ }).click();
  createdKey.raw = await value.innerText();
  assert.match(createdKey.raw, /^sk_[A-Za-z0-9]{20,}$/);
  const who = await api(createdKey.raw, "GET", "/v1/latchkey/whoami");
  assert.equal(who.json.data.kind, "environment");
  assert.equal(who.json.data.id, createdKey.id);

  await expectSuccess(() => keyRow.getByRole("button", { name: /^Copy/ }).click(), "Copied");
  assert.equal(await clipboard(), createdKey.raw);
  await screenshot("keys-created-revealed");
  await keyRow.getByRole("button", { name: /^Hide/ }).click();
  assert.match(await value.innerText(), /^sk_•+$/);
  assertNoProblems();
});

test("API keys: rotate with a one-hour grace, see it expiring, delete with confirmation", async () => {
  const oldRow = page.locator(`tr[data-id="${createdKey.id}"]`);
  await oldRow.getByRole("combobox").selectOption("3600");
  await expectSuccess(() => oldRow.getByRole("button", { name: "Rotate" }).click(), /Rotated: .*the old one works until/);
  await page.locator(".notice.warn", { hasText: "1 key is expiring" }).waitFor();
  await oldRow.locator(".badge", { hasText: "Expiring" }).waitFor();
  const newRow = page.locator("tr.highlight");
  const newId = await newRow.getAttribute("data-id");
  assert.notEqual(newId, createdKey.id);
  assert.equal((await api(createdKey.raw, "GET", "/v1/latchkey/whoami")).json.data.valid, true,
    "the old key keeps working during its grace");
  await screenshot("keys-rotated");

  // Cancel leaves the key; confirming deletes it.
  await newRow.getByRole("button", { name: /^Delete/ }).click();
  await screenshot("keys-confirm-delete");
  await confirmDialog("Cancel");
  assert.equal(await page.locator(`tr[data-id="${newId}"]`).count(), 1);
  await expectSuccess(async () => {
    await newRow.getByRole("button", { name: /^Delete/ }).click();
    await confirmDialog("Delete");
  }, "Deleted the secret key");
  await page.locator(`tr[data-id="${newId}"]`).waitFor({ state: "detached" });
  assertNoProblems();
});

test("environments: switching shows the other environment's keys", async () => {
  const devIds = await rows("API keys").evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
  await page.getByRole("banner").getByLabel("Environment").selectOption({ label: "production (production)" });
  await settled();
  await page.locator("#view .subtitle", { hasText: "production" }).waitFor();
  const prodIds = await rows("API keys").evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
  assert.equal(prodIds.length, 2, "production starts with one secret and one publishable key");
  assert.ok(prodIds.every((id) => !devIds.includes(id)));
  await page.getByRole("banner").getByLabel("Environment").selectOption({ label: "development" });
  await settled();
  await page.locator("#view .subtitle", { hasText: "development" }).waitFor();
  assertNoProblems();
});

let pat;

test("personal access tokens: the new token is shown once, with a copy button", async () => {
  await openSection("Access tokens");
  await page.getByLabel("Name").fill("CI deploy");
  await expectSuccess(() => page.getByRole("button", { name: "Create token" }).click(), 'Created the token "CI deploy"');
  const once = page.getByRole("region", { name: "New token" });
  await once.waitFor();
  assert.match(await once.innerText(), /will not be shown again/);
  pat = await once.locator("code").innerText();
  assert.match(pat, /^pat_[A-Za-z0-9]+$/);
  await expectSuccess(() => once.getByRole("button", { name: "Copy the new token" }).click(), "Copied the new token");
  assert.equal(await clipboard(), pat);
  const who = await api(pat, "GET", "/v1/latchkey/whoami");
  assert.equal(who.json.data.kind, "user");
  await screenshot("token-created-once");

  await once.getByRole("button", { name: /Done/ }).click();
  await once.waitFor({ state: "detached" });
  assert.ok(!(await page.content()).includes(pat), "the token is still on the page");
  await openSection("Spaces");
  await openSection("Access tokens");
  assert.ok(!(await page.content()).includes(pat), "the token came back");
  const tokenRow = row("Personal access tokens", "CI deploy");
  await tokenRow.waitFor();
  assert.equal(await tokenRow.locator('td[data-label="Last used"] time').count(), 1, "last use is shown");
  await screenshot("tokens-list");
  assertNoProblems();
});

test("users: invite a Member, change the role and back", async () => {
  await openSection("Users");
  const invite = page.getByRole("form", { name: "Invite a user" });
  await invite.getByLabel("Email").fill(MEMBER.email);
  await invite.getByLabel("Name").fill(MEMBER.name);
  await invite.getByLabel("Role").selectOption("us_rol_member");
  await expectSuccess(() => invite.getByRole("button", { name: "Invite" }).click(), `Invited ${MEMBER.email}`);
  const memberRow = row("Users", MEMBER.email);
  await memberRow.locator(".badge", { hasText: "Invited" }).waitFor();
  const role = memberRow.getByRole("combobox", { name: `Role of ${MEMBER.email}` });
  await expectSuccess(() => role.selectOption("us_rol_admin"), `${MEMBER.email} is now an Administrator`);
  await expectSuccess(() => role.selectOption("us_rol_member"), `${MEMBER.email} is now a Member`);
  // A refused action shows the server's message.
  await expectingHttpError(409, async () => {
    await invite.getByLabel("Email").fill(MEMBER.email);
    await invite.getByLabel("Name").fill("Someone Else");
    await page.evaluate(() => document.getElementById("toasts").replaceChildren());
    await invite.getByRole("button", { name: "Invite" }).click();
    await page.locator(".toast.error", { hasText: `a user with email ${MEMBER.email} already exists` }).waitFor();
  });
  await screenshot("users");
  assertNoProblems();
});

let space;

test("spaces: create a space with two workbooks, archive another", async () => {
  await openSection("Spaces");
  const create = page.getByRole("form", { name: "Create a space" });
  await create.getByLabel("Name").fill("Old space");
  await expectSuccess(() => create.getByRole("button", { name: "Create space" }).click(), 'Created the space "Old space"');
  await expectSuccess(() => row("Spaces", "Old space").getByRole("button", { name: /^Archive/ }).click(), 'Archived the space "Old space"');
  await row("Spaces", "Old space").waitFor({ state: "detached" });
  await page.getByLabel("Show archived spaces").check();
  await settled();
  await row("Archived spaces", "Old space").waitFor();
  await page.getByLabel("Show archived spaces").uncheck();
  await settled();
  await page.getByRole("table", { name: "Archived spaces", exact: true }).waitFor({ state: "detached" });

  await create.getByLabel("Name").fill("Onboarding");
  await expectSuccess(() => create.getByRole("button", { name: "Create space" }).click(), 'Created the space "Onboarding"');
  const panel = page.getByRole("region", { name: "Workbooks of Onboarding" });
  for (const name of ["Contacts", "Invoices"]) {
    await panel.getByLabel("Workbook name").fill(name);
    await expectSuccess(() => panel.getByRole("button", { name: "Add workbook" }).click(), `Added the workbook "${name}"`);
    await row("Workbooks", name).waitFor();
  }
  space = { id: await row("Spaces", "Onboarding").getAttribute("data-id") };
  assert.match(space.id, /^us_sp_/);
  await screenshot("spaces-workbooks");
  assertNoProblems();
});

let guestId;

test("guests: add one with a workbook grant, send a magic link, remove another", async () => {
  await openSection("Guests");
  assert.equal(await page.getByLabel("Space", { exact: true }).inputValue(), space.id);
  const add = page.getByRole("form", { name: "Add a guest to Onboarding" });
  await add.getByLabel("Email").fill(GUEST.email);
  await add.getByLabel("Name").fill(GUEST.name);
  await add.getByLabel("Contacts").check();
  await expectSuccess(() => add.getByRole("button", { name: "Add guest" }).click(), `Added ${GUEST.email} to Onboarding (1 workbook)`);
  const guestRow = row("Guests of Onboarding", GUEST.email);
  await guestRow.locator('td[data-label="Access"]', { hasText: "Workbooks: Contacts" }).waitFor();
  guestId = await guestRow.getAttribute("data-id");
  await expectSuccess(() => guestRow.getByRole("button", { name: /^Send a magic link/ }).click(), `Sent ${GUEST.email} a magic link to Onboarding`);

  await add.getByLabel("Email").fill("temp.guest@example.com");
  await add.getByLabel("Name").fill("Temporary Guest");
  await expectSuccess(() => add.getByRole("button", { name: "Add guest" }).click(), "Added temp.guest@example.com to Onboarding");
  const tempRow = row("Guests of Onboarding", "temp.guest@example.com");
  await tempRow.locator('td[data-label="Access"]', { hasText: "Whole space" }).waitFor();
  await screenshot("guests");
  await expectSuccess(async () => {
    await tempRow.getByRole("button", { name: /^Remove entirely/ }).click();
    await confirmDialog("Remove guest");
  }, "Removed the guest temp.guest@example.com");
  await tempRow.waitFor({ state: "detached" });
  assertNoProblems();
});

test("outbox: the magic link and the invitation were sent", async () => {
  await openSection("Outbox");
  const mails = page.getByRole("list", { name: "Mails" }).getByRole("listitem");
  const magic = mails.filter({ hasText: GUEST.email }).first();
  assert.match(await magic.locator(".subject").innerText(), /invited you to "Onboarding"/);
  await magic.locator("summary").click();
  assert.match(await magic.locator("pre").innerText(), new RegExp(`/join/${space.id}#token=lt_`));
  await mails.filter({ hasText: MEMBER.email }).first().waitFor();
  await screenshot("outbox");
  assertNoProblems();
});

test("secrets: add, reveal, change and delete", async () => {
  await openSection("Secrets");
  const add = page.getByRole("form", { name: /^Add a secret/ });
  await add.getByLabel("Name").fill("WEBHOOK_SECRET");
  await add.getByLabel("Value").fill("first-value-123");
  await expectSuccess(() => add.getByRole("button", { name: "Add secret" }).click(), "Saved the secret WEBHOOK_SECRET");
  const secretRow = row("Secrets", "WEBHOOK_SECRET");
  const value = secretRow.locator("code.secret");
  await value.waitFor();
  assert.ok(!(await secretRow.innerText()).includes("first-value-123"), "the value is masked");
  await secretRow.getByRole("button", { name: /^Reveal/ }).click();
  assert.equal(await value.innerText(), "first-value-123");

  await secretRow.getByRole("button", { name: "Change WEBHOOK_SECRET" }).click();
  await secretRow.getByLabel("New value", { exact: true }).fill("second-value-456");
  await expectSuccess(() => secretRow.getByRole("button", { name: "Save" }).click(), "Changed the secret WEBHOOK_SECRET");
  await secretRow.getByRole("button", { name: /^Reveal/ }).click();
  assert.equal(await value.innerText(), "second-value-456");
  await screenshot("secrets");

  await expectSuccess(async () => {
    await secretRow.getByRole("button", { name: "Delete WEBHOOK_SECRET" }).click();
    await confirmDialog("Delete");
  }, "Deleted the secret WEBHOOK_SECRET");
  await secretRow.waitFor({ state: "detached" });
  assertNoProblems();
});

test("audit log: newest first, filter by topic and environment, page through", async () => {
  await openSection("Audit log");
  const events = rows("Audit events");
  await events.first().waitFor();
  assert.equal(await events.first().locator("code").innerText(), "secret:deleted");
  const times = await events.locator("time").evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute("datetime"))));
  assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
  assert.equal(times.length, 20, "a full first page");

  const filters = page.getByRole("form", { name: "Filter the audit log" });
  await filters.getByLabel("Topic").fill("api-key:rotated");
  await filters.getByLabel("Environment").selectOption({ label: "development" });
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await settled();
  await page.waitForFunction(() => [...document.querySelectorAll("#view tbody tr")].length === 1);
  assert.equal(await events.first().locator("code").innerText(), "api-key:rotated");
  assert.equal(await events.first().locator('td[data-label="Environment"]').innerText(), "development");
  await screenshot("audit-filtered");

  await filters.getByLabel("Environment").selectOption({ label: "production" });
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await settled();
  await page.locator("#view p.empty", { hasText: "No events match" }).waitFor();

  await filters.getByLabel("Environment").selectOption({ label: "All environments" });
  await filters.getByLabel("Topic").fill("");
  await filters.getByLabel("Since").fill("2099-01-01T00:00");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await settled();
  await page.locator("#view p.empty", { hasText: "No events match" }).waitFor();
  await filters.getByLabel("Since").fill("2000-01-01T00:00");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await settled();
  await page.waitForFunction(() => document.querySelectorAll("#view tbody tr").length === 20);

  await page.getByRole("button", { name: "Reset" }).click();
  await settled();
  await page.waitForFunction(() => document.querySelectorAll("#view tbody tr").length === 20);
  const firstPage = await events.first().getAttribute("data-id");
  await page.getByRole("button", { name: "Next ›" }).click();
  await settled();
  await page.locator(".pager .page", { hasText: "Page 2" }).waitFor();
  assert.ok((await events.count()) > 0, "a second page");
  assert.notEqual(await events.first().getAttribute("data-id"), firstPage);
  await screenshot("audit-page-2");
  assertNoProblems();
});

let staging;

test("environments: create one, switch to it and find its keys", async () => {
  await openSection("Environments");
  await screenshot("environments");
  await page.getByLabel("Name", { exact: true }).fill("staging");
  await expectSuccess(() => page.getByRole("button", { name: "Create environment" }).click(), 'Created the environment "staging"');
  await row("Environments", "staging").waitFor();
  const admin = await adminToken();
  const listed = await api(admin, "GET", "/v1/environments?pageSize=100");
  staging = listed.json.data.find((e) => e.name === "staging");
  assert.ok(staging, "the API lists the new environment");
  assert.equal(staging.isProd, false);
  await expectSuccess(() => row("Environments", "staging").getByRole("button", { name: "Switch to staging" }).click(), "Switched to staging");
  assert.equal(await page.getByRole("banner").getByLabel("Environment").inputValue(), staging.id);
  await openSection("API keys");
  await page.locator("#view .subtitle", { hasText: "staging" }).waitFor();
  const keys = await api(admin, "GET", `/v1/auth/api-keys?environmentId=${staging.id}`);
  const shown = await rows("API keys").evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
  assert.deepEqual(shown.sort(), keys.json.data.map((k) => k.id).sort());
  assert.equal(shown.length, 2, "a new environment has a secret and a publishable key");
  staging.secret = keys.json.data.find((k) => k.type === "SECRET").rawKey;
  await screenshot("staging-keys");
  assertNoProblems();
});

test("environments: turning the shared link off stops it working", async () => {
  const created = await api(staging.secret, "POST", "/v1/spaces", { name: "Walk-ins" });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const join = () => fetch(`${BASE}/join/${created.json.data.id}`).then((r) => r.status);
  assert.equal(await join(), 200, "the shared link works at first");
  await openSection("Environments");
  await row("Environments", "staging").getByRole("button", { name: "Settings of staging" }).click();
  await settled();
  const panel = page.getByRole("region", { name: "Settings of staging" });
  await panel.getByLabel("Shared link").uncheck();
  await panel.getByLabel("Guests may invite other guests").check();
  await panel.getByLabel(/^Allowed browser origins/).fill("https://app.example.com");
  await screenshot("environment-settings");
  await expectSuccess(() => panel.getByRole("button", { name: "Save settings" }).click(), "Saved the settings of staging");
  assert.equal(await join(), 404, "the shared link stopped working");
  const admin = await adminToken();
  const env = await api(admin, "GET", `/v1/environments/${staging.id}`);
  assert.deepEqual(env.json.data.guestAuthentication, ["magic_link"]);
  assert.equal(env.json.data.guestsCanInvite, true);
  assert.deepEqual(env.json.data.allowedOrigins, ["https://app.example.com"]);
  await row("Environments", "staging").filter({ hasText: "Magic link" }).waitFor();
  assertNoProblems();
});

test("overview: the figures match the API's after a known number of requests", async () => {
  const admin = await adminToken();
  const read = async () => (await api(admin, "GET", `/v1/latchkey/overview?environmentId=${staging.id}`)).json.data;
  const before = await read();
  for (let i = 0; i < 7; i += 1) assert.equal((await api(staging.secret, "GET", "/v1/environments/current")).status, 200);
  for (let i = 0; i < 3; i += 1) assert.equal((await api("sk_wrong", "GET", "/v1/environments/current")).status, 401);
  const after = await read();
  assert.equal(after.environment.totals.last24Hours.requests, before.environment.totals.last24Hours.requests + 7);
  assert.equal(after.account.totals.last24Hours.failures, before.account.totals.last24Hours.failures + 3);
  await openSection("Overview");
  const figure = (id) => page.locator(`[data-figure="${id}"] .tile-value`).innerText();
  assert.equal(Number(await figure("environment-requests-24h")), after.environment.totals.last24Hours.requests);
  assert.equal(Number(await figure("environment-requests-30d")), after.environment.totals.last30Days.requests);
  assert.equal(Number(await figure("failures-24h")), after.account.totals.last24Hours.failures);
  assert.ok(after.environment.totals.last24Hours.requests >= 7);
  const bars = page.locator('figure[data-chart="requests"] svg[role="img"]').first();
  assert.match(await bars.getAttribute("aria-label"), new RegExp(`${after.environment.totals.last24Hours.requests} in all`));
  // From the keyboard: Tab from the first range button to the second, Enter; the focus shows.
  await page.getByRole("button", { name: "Last 24 hours" }).focus();
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]);
  assert.deepEqual(focused, ["Last 30 days", "solid"], "the focused button is outlined");
  await page.keyboard.press("Enter");
  assert.equal(await page.getByRole("button", { name: "Last 30 days" }).getAttribute("aria-pressed"), "true");
  assert.equal(await page.getByRole("button", { name: "Last 24 hours" }).getAttribute("aria-pressed"), "false");
  await page.locator("figure figcaption", { hasText: "last 30 days" }).first().waitFor();
  await screenshot("overview-30-days");
  assertNoProblems();
});

test("environments: deleting one names what goes with it", async () => {
  await openSection("Environments");
  await row("Environments", "staging").getByRole("button", { name: "Delete staging" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /2 API keys, 1 space, 0 guests, 0 secrets/);
  await screenshot("environment-delete-confirmation");
  await expectSuccess(() => confirmDialog("Delete environment"), "Deleted the environment staging");
  await row("Environments", "staging").waitFor({ state: "detached" });
  const admin = await adminToken();
  assert.equal((await api(admin, "GET", `/v1/environments/${staging.id}`)).status, 404);
  assert.equal((await api(staging.secret, "GET", "/v1/environments/current")).status, 401);
  await page.getByRole("banner").getByLabel("Environment").selectOption({ label: "development" });
  await settled();
  assertNoProblems();
});

test("agents and data clips: list an agent and delete it, add a guest to a clip and remove them", async () => {
  const admin = await adminToken();
  const envs = (await api(admin, "GET", "/v1/environments")).json.data;
  const dev = envs.find((e) => e.name === "development");
  assert.ok(dev, JSON.stringify(envs));
  const keys = (await api(admin, "GET", `/v1/auth/api-keys?environmentId=${dev.id}`)).json.data;
  const sk = keys.find((k) => k.type === "SECRET" && k.state === "active")?.rawKey;
  assert.ok(sk, JSON.stringify(keys));
  const deployed = await api(sk, "POST", `/v1/agents?environmentId=${dev.id}`,
    { topics: ["space:created"], compiler: "js", source: "module.exports = () => {}", slug: "welcome-bot" });
  assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
  await openSection("Agents");
  await row("Agents", "welcome-bot").waitFor();
  await screenshot("agents");
  await expectSuccess(async () => {
    await row("Agents", "welcome-bot").getByRole("button", { name: "Delete agent welcome-bot" }).click();
    await confirmDialog("Delete");
  }, "Deleted the agent welcome-bot");
  assert.equal((await api(admin, "GET", `/v1/agents/${deployed.json.data.id}`)).status, 404);

  const spaceRes = await api(sk, "POST", "/v1/spaces", { name: "Clipped" });
  assert.equal(spaceRes.status, 200, JSON.stringify(spaceRes.json));
  const clipSpace = spaceRes.json.data.id;
  const sheets = [{ id: "us_sh_orders", name: "Orders", fields: [] }];
  assert.equal((await api(sk, "POST", "/v1/workbooks", { name: "Orders", spaceId: clipSpace, sheets })).status, 200);
  const guestRes = await api(sk, "POST", "/v1/guests", [{ environmentId: dev.id, email: "clip.reader@example.com", name: "Clip Reader", spaces: [{ id: clipSpace }] }]);
  assert.equal(guestRes.status, 200, JSON.stringify(guestRes.json));
  const clip = await api(sk, "POST", "/v1/data-clips", { name: "Late orders", sourceSheetId: "us_sh_orders", recordIds: ["us_rc_o1"] });
  assert.equal(clip.status, 200, JSON.stringify(clip.json));
  await openSection("Data clips");
  await row("Data clips", "Late orders").getByRole("button", { name: "Guests of the clip Late orders" }).click();
  await settled();
  const panel = page.getByRole("region", { name: "Guests of the clip Late orders" });
  await expectSuccess(() => panel.getByRole("button", { name: "Add guest" }).click(), "Added the guest to the clip Late orders");
  await row("Guests of the clip Late orders", "clip.reader@example.com").waitFor();
  const clipGuests = await api(admin, "GET", `/v1/latchkey/data-clips/${clip.json.id}/guests`);
  assert.deepEqual(clipGuests.json.data.map((g) => g.email), ["clip.reader@example.com"]);
  await screenshot("data-clip-guests");
  await expectSuccess(async () => {
    await row("Guests of the clip Late orders", "clip.reader@example.com").getByRole("button", { name: /^Remove/ }).click();
    await confirmDialog("Remove");
  }, "Removed clip.reader@example.com from the clip");
  assert.deepEqual((await api(admin, "GET", `/v1/latchkey/data-clips/${clip.json.id}/guests`)).json.data, []);
  assertNoProblems();
});

/** A receiver on loopback that answers 204 and keeps what it got. */
async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { received, server, url: `http://127.0.0.1:${server.address().port}/hooks/latchkey` };
}

/** Waits until `check()` is truthy, polling every 100 ms for up to `ms`. */
async function eventually(check, what, ms = 15_000) {
  for (const start = Date.now(); Date.now() - start < ms;) {
    const value = await check();
    if (value) return value;
    await page.waitForTimeout(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The Standard Webhooks signature of a delivery with `secret` (`whsec_` + base64). */
const standardSignature = (secret, { headers, body }) => createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64"))
  .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`).digest("base64");

test("webhooks: an endpoint on a loopback receiver gets a test event, shown delivered; redeliver, disable, edit, rotate, delete", async () => {
  const admin = await adminToken();
  const dev = (await api(admin, "GET", "/v1/environments")).json.data.find((e) => e.name === "development");
  const receiver = await startReceiver();
  const { url } = receiver;
  try {
    await page.getByRole("banner").getByLabel("Environment").selectOption({ label: "development" });
    await openSection("Webhooks");
    await page.getByText(`No webhook endpoints in development`).waitFor();

    // The whsec_ signing secret derived from each active secret key (two: the key rotated with a
    // one-hour grace above is still active), masked until revealed.
    const derived = (await api(admin, "GET", `/v1/latchkey/webhooks/signing-secrets?environmentId=${dev.id}`)).json.data;
    assert.ok(derived.length >= 1, JSON.stringify(derived));
    const signing = page.getByRole("region", { name: "Signing secrets" });
    for (const { keyId, secret } of derived) {
      assert.match(secret, /^whsec_/);
      assert.doesNotMatch(await signing.innerText(), new RegExp(escapeRegExp(secret)));
      await signing.getByRole("button", { name: `Reveal signing secret of key ${keyId}` }).click();
      await signing.getByText(secret).waitFor();
    }

    // A bad URL shows the server's message.
    const create = page.getByRole("form", { name: "Add a webhook endpoint" });
    await create.getByLabel("Endpoint URL").fill("http://127.0.0.1:1/x#fragment");
    await create.getByLabel("Topics").fill("space:*");
    await expectingHttpError(422, async () => {
      await create.getByRole("button", { name: "Add endpoint" }).click();
      await page.locator("#toasts .toast.error").first().waitFor();
    });
    await page.evaluate(() => document.getElementById("toasts").replaceChildren());

    // Create with a secret of its own: shown once.
    await create.getByLabel("Endpoint URL").fill(url);
    await create.getByLabel("Topics").fill("space:created, space:deleted");
    await create.getByLabel("Description").fill("The browser test's receiver");
    await create.getByLabel("A secret of its own (shown once)").check();
    await expectSuccess(() => create.getByRole("button", { name: "Add endpoint" }).click(), `Added the endpoint ${url}. Copy its secret now.`);
    const once = page.getByRole("region", { name: "New endpoint secret" });
    const ownSecret = await once.getByTestId("new-webhook-secret").innerText();
    assert.match(ownSecret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    const listed = (await api(admin, "GET", `/v1/latchkey/webhooks?environmentId=${dev.id}`)).json.data;
    assert.equal(listed.length, 1, JSON.stringify(listed));
    const hook = listed[0];
    assert.deepEqual([hook.url, hook.topics, hook.description, hook.enabled, hook.signing, hook.secret],
      [url, ["space:created", "space:deleted"], "The browser test's receiver", true, "endpoint", undefined]);
    const endpoint = row("Webhook endpoints", url);
    assert.match(await endpoint.innerText(), /Enabled/);
    await screenshot("webhook-created-secret-once");
    await once.getByRole("button", { name: "Done, I have copied it" }).click();
    await settled();
    assert.equal(await page.getByRole("region", { name: "New endpoint secret" }).count(), 0);

    // Send a test event: it reaches the receiver signed with the endpoint's secret, and the log
    // shows it delivered with a 2xx status, one attempt and its latency.
    await expectSuccess(() => endpoint.getByRole("button", { name: `Send a test event to ${url}` }).click(), `Queued a test event for ${url}`);
    const first = await eventually(() => receiver.received[0], "the test event at the receiver");
    assert.equal(first.path, "/hooks/latchkey");
    assert.equal(JSON.parse(first.body).type, "webhook:test");
    assert.ok(first.headers["webhook-signature"].split(" ").includes(`v1,${standardSignature(ownSecret, first)}`), first.headers["webhook-signature"]);
    const log = `Deliveries to ${url}`;
    const delivered = await eventually(async () => {
      await page.getByRole("button", { name: `Reload the deliveries to ${url}` }).click();
      await settled();
      const text = await rows(log).first().innerText().catch(() => "");
      return /Delivered/.test(text) && text;
    }, "the delivery shown as delivered");
    assert.match(delivered, /webhook:test/);
    assert.match(delivered, /HTTP 204/);
    assert.match(delivered, /\d+ ms/);
    const deliveries = (await api(admin, "GET", `/v1/latchkey/webhooks/${hook.id}/deliveries`)).json.data;
    assert.equal(deliveries.length, 1, JSON.stringify(deliveries));
    assert.deepEqual([deliveries[0].status, deliveries[0].attempts, deliveries[0].log[0].status], ["delivered", 1, 204]);
    await page.evaluate(() => document.getElementById("toasts").replaceChildren());
    await screenshot("webhook-deliveries");

    // Redeliver: the same message (same webhook-id) arrives again as a new delivery.
    await expectSuccess(() => rows(log).first().getByRole("button", { name: `Redeliver ${deliveries[0].id}` }).click(), "Queued webhook:test again");
    const second = await eventually(() => receiver.received[1], "the redelivery at the receiver");
    assert.equal(second.headers["webhook-id"], first.headers["webhook-id"]);
    assert.equal(second.body, first.body);

    // Disable: the state reads "Disabled" (not colour alone) and the API agrees.
    await expectSuccess(() => endpoint.getByRole("button", { name: `Disable ${url}` }).click(), `Disabled the endpoint ${url}`);
    assert.match(await endpoint.innerText(), /Disabled/);
    assert.equal((await api(admin, "GET", `/v1/latchkey/webhooks/${hook.id}`)).json.data.enabled, false);
    await screenshot("webhook-disabled");

    // A disabled endpoint gets nothing: the test event waits in its queue.
    await expectSuccess(() => endpoint.getByRole("button", { name: `Send a test event to ${url}` }).click(), "It waits until the endpoint is enabled again");
    await page.waitForTimeout(600);
    assert.equal(receiver.received.length, 2, "a disabled endpoint got a delivery");
    assert.equal((await api(admin, "GET", `/v1/latchkey/webhooks/${hook.id}`)).json.data.pending, 1);

    // Edit the topics and description.
    await endpoint.getByRole("button", { name: `Edit ${url}` }).click();
    await settled();
    const edit = page.getByRole("form", { name: `Edit ${url}` });
    await edit.getByLabel("Topics").fill("space:*");
    await edit.getByLabel("Description").fill("Edited in the browser");
    await expectSuccess(() => edit.getByRole("button", { name: "Save endpoint" }).click(), `Saved the endpoint ${url}`);
    const edited = (await api(admin, "GET", `/v1/latchkey/webhooks/${hook.id}`)).json.data;
    assert.deepEqual([edited.topics, edited.description, edited.enabled], [["space:*"], "Edited in the browser", false]);

    // Rotate its secret, the old one signing for another hour: the new one is shown once.
    await endpoint.getByLabel(`When the old secret of ${url} stops signing`).selectOption({ label: "Old secret stops after 1 hour" });
    await endpoint.getByRole("button", { name: `Rotate secret: ${url}` }).click();
    await expectSuccess(() => confirmDialog("Rotate secret"), `New secret for ${url}`);
    const rotated = await page.getByRole("region", { name: "New endpoint secret" }).getByTestId("new-webhook-secret").innerText();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, ownSecret);

    // Delete, after a confirmation naming the endpoint.
    await endpoint.getByRole("button", { name: `Delete ${url}` }).click();
    assert.match(await page.getByRole("dialog").innerText(), new RegExp(`Delete the webhook endpoint ${escapeRegExp(url)}.*Its 1 pending delivery is dropped`, "s"));
    await expectSuccess(() => confirmDialog("Delete"), `Deleted the endpoint ${url}`);
    assert.deepEqual((await api(admin, "GET", `/v1/latchkey/webhooks?environmentId=${dev.id}`)).json.data, []);
    await page.getByText("No webhook endpoints in development").waitFor();
    assert.equal(await page.getByRole("region", { name: "New endpoint secret" }).count(), 0, "the deleted endpoint's secret is still shown");
    await screenshot("webhooks-empty");
  } finally {
    receiver.server.close();
  }
  assertNoProblems();
});

test("narrow (375 px) screens: nothing overflows sideways", async () => {
  await page.setViewportSize({ width: 375, height: 812 });
  for (const name of ["Overview", "Environments", "API keys", "Access tokens", "Users", "Spaces", "Guests", "Secrets", "Agents", "Data clips", "Webhooks", "Audit log", "Outbox"]) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator("#nav").getByRole("link", { name, exact: true }).click();
    await page.locator("#view h1", { hasText: name }).waitFor();
    await settled();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `${name} is ${width} px wide at 375 px`);
    const clipped = await page.evaluate(() => [...document.querySelectorAll("#view .table-wrap, #view form, #view .cell")]
      .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => `${el.className || el.tagName}${el.closest("td") ? ` (${el.closest("td").dataset.label}: ${el.textContent.slice(0, 40)})` : ""}`));
    assert.deepEqual(clipped, [], `${name}: content wider than its box at 375 px`);
    await page.evaluate(() => document.getElementById("toasts").replaceChildren());
    await screenshot(`narrow-${name.toLowerCase().replace(/ /g, "-")}`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  assertNoProblems();
});

test("sign out, then an invited Member sets a password and sees only what a Member may do", async () => {
  await signOut();
  await screenshot("signed-out");
  await page.goto(`${BASE}/admin/#/keys`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();

  const admin = await adminToken();
  const outbox = await api(admin, "GET", "/v1/latchkey/outbox?pageSize=100");
  const mail = outbox.json.data.find((m) => m.to === MEMBER.email);
  const link = /(http\S+\/admin\/#\/accept\?token=\S+)/.exec(mail.body)[1];
  await page.goto(link);
  await page.getByRole("heading", { name: "Choose your password" }).waitFor();
  assert.ok(!page.url().includes("token="), "the link token stays in the address bar");
  await page.getByLabel(/^New password/).fill(MEMBER.password);
  await page.getByLabel("Repeat the password").fill(MEMBER.password);
  await screenshot("accept-invitation");
  await expectSuccess(() => page.getByRole("button", { name: "Set password" }).click(), `Password set for ${MEMBER.email}`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), MEMBER.email);

  await signIn(MEMBER.email, MEMBER.password);
  await page.locator("#view h1", { hasText: "Access tokens" }).waitFor();
  const sections = await page.locator("#nav a").allInnerTexts();
  assert.deepEqual(sections, ["Access tokens", "Spaces", "Guests"]);
  assert.equal(await page.locator("#who .badge").innerText(), "Member");
  await openSection("Guests");
  await row("Guests of Onboarding", GUEST.email).waitFor();
  await screenshot("member-guests");
  await page.goto(`${BASE}/admin/#/keys`);
  await page.locator("#view .notice", { hasText: "Only Administrators" }).waitFor();
  await signOut();
  assertNoProblems();
});

test("a guest token cannot open the page", async () => {
  const admin = await adminToken();
  const issued = await api(admin, "GET", `/v1/guests/${guestId}/token?spaceId=${space.id}`);
  assert.equal(issued.status, 200, JSON.stringify(issued.json));
  await page.evaluate((t) => sessionStorage.setItem("latchkey.token", t), issued.json.data.token);
  await page.reload();
  await page.locator("#signin-error", { hasText: "Guest tokens cannot open" }).waitFor();
  assert.equal(await page.locator("#app-view").isHidden(), true);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("latchkey.token")), null);
  await screenshot("guest-token-refused");
  assertNoProblems();
});

test("the Administrator signs in again and signs out", async () => {
  await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.locator("#view h1", { hasText: "Overview" }).waitFor();
  await signOut();
  await screenshot("final-signed-out");
  assertNoProblems();
});

test("your sign-in: change the password (other sessions end), then sign out everywhere", async () => {
  const other = await adminToken();
  await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  await openSection("Access tokens");
  await page.getByLabel("Current password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill(ADMIN_PASSWORD);
  await expectSuccess(() => page.getByRole("button", { name: "Change password" }).click(), "Changed your password");
  assert.equal((await api(other, "GET", "/v1/accounts/current")).status, 401, "the other session ended");
  await screenshot("password-changed");
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await confirmDialog("Sign out everywhere");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("latchkey.token")), null);
  assertNoProblems();
});
