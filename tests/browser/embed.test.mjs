// The browser embed end to end: a page on ANOTHER origin (a second loopback port, served by a
// tiny static server here) loads @flatfile/javascript's browser bundle from node_modules and runs
// `startFlatfile({publishableKey, apiUrl})` against the real latchkey binary started by
// tests/browser.rs, in Debian's headless Chromium.
//
// Environment (set by `cargo test --test browser`): LATCHKEY_URL, LATCHKEY_ADMIN_EMAIL,
// LATCHKEY_ADMIN_PASSWORD, LATCHKEY_BROWSER_OUTPUT, LATCHKEY_CHROMIUM (as for admin.test.mjs).
//
// Every request the browser makes to a host other than 127.0.0.1 is aborted and fails the test:
// the embed must not need the network (it does not, as long as `guestLink` is answered).

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE, CHROMIUM, OUTPUT } from "./env.mjs";

const SPACE_NAME = "Imported from the customer page";

// The package's UMD browser bundle (`window.FlatFileJavaScript`), version-pinned in package.json.
const require = createRequire(import.meta.url);
const PACKAGE_DIR = dirname(require.resolve("@flatfile/javascript/package.json"));
const PACKAGE = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));
const BUNDLE = readFileSync(join(PACKAGE_DIR, PACKAGE.umd));

// The customer's page: no inline script, so the host page could run under a CSP too.
const HOST_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer page</title>
<script src="/vendor/flatfile.js"></script><script src="/host.js" defer></script></head>
<body><h1>Customer page</h1><p id="result">starting</p></body></html>`;

const HOST_JS = `
const params = new URLSearchParams(location.search);
window.embedResult = FlatFileJavaScript.startFlatfile({
  publishableKey: params.get("pk"),
  apiUrl: params.get("api"),
  name: params.get("name"),
  sheet: { name: "Contacts", slug: "contacts", fields: [{ key: "email", type: "string", label: "Email" }] },
  displayAsModal: false,
}).then((r) => { document.getElementById("result").textContent = JSON.stringify(r ?? null); return r ?? null; });
`;

let hostServer;
let hostOrigin;
let context;
let page;
let userDataDir;
let admin;
let devEnv;
let secretKey;
let publishableKey;
const problems = [];
const external = [];
const expectedStatuses = [];

async function api(token, method, path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: await res.json().catch(() => null) };
}

function startHostServer() {
  const files = {
    "/": ["text/html; charset=utf-8", HOST_HTML],
    "/host.js": ["text/javascript; charset=utf-8", HOST_JS],
    "/vendor/flatfile.js": ["text/javascript; charset=utf-8", BUNDLE],
  };
  hostServer = createServer((req, res) => {
    const [type, body] = files[new URL(req.url, "http://x").pathname] || [];
    if (!type) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
  });
  return new Promise((done) => hostServer.listen(0, "127.0.0.1", () => {
    hostOrigin = `http://127.0.0.1:${hostServer.address().port}`;
    done();
  }));
}

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  await startHostServer();
  assert.notEqual(new URL(hostOrigin).origin, new URL(BASE).origin, "the page must be on another origin");

  const login = await api(null, "POST", "/v1/auth", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  assert.equal(login.status, 200, JSON.stringify(login.json));
  admin = login.json.accessToken;
  const envs = await api(admin, "GET", "/v1/environments");
  devEnv = envs.json.data.find((e) => e.name === "development").id;
  const keys = await api(admin, "GET", `/v1/auth/api-keys?environmentId=${devEnv}`);
  secretKey = keys.json.data.find((k) => k.type === "SECRET").rawKey;
  publishableKey = keys.json.data.find((k) => k.type === "PUBLISHABLE").rawKey;
  const patched = await api(admin, "PATCH", `/v1/environments/${devEnv}`, { allowedOrigins: [hostOrigin] });
  assert.equal(patched.status, 200, JSON.stringify(patched.json));
  assert.deepEqual(patched.json.allowedOrigins, [hostOrigin]);

  userDataDir = mkdtempSync(join(tmpdir(), "latchkey-embed-chromium-"));
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
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    external.push(route.request().url());
    return route.abort();
  });
  page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    const failed = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
    const i = failed ? expectedStatuses.indexOf(Number(failed[1])) : -1;
    if (i >= 0) expectedStatuses.splice(i, 1);
    else problems.push(`console error: ${text} (${msg.location().url})`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught page error: ${error.message}`));
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((done) => (hostServer ? hostServer.close(done) : done()));
});

test("startFlatfile on another origin creates a space and shows Latchkey's space page", async () => {
  const query = new URLSearchParams({ pk: publishableKey, api: BASE, name: SPACE_NAME });
  await page.goto(`${hostOrigin}/?${query}`);
  const result = await page.evaluate(() => window.embedResult);
  assert.ok(result?.spaceId?.startsWith("us_sp_"), `startFlatfile answered ${JSON.stringify(result)}`);

  // The space exists, seen through the API with the environment's secret key (from a server).
  const space = await api(secretKey, "GET", `/v1/spaces/${result.spaceId}`);
  assert.equal(space.status, 200, JSON.stringify(space.json));
  assert.equal(space.json.data.name, SPACE_NAME);
  assert.deepEqual(space.json.data.labels, ["embedded"]);
  assert.equal(space.json.data.namespace, "portal");
  const workbooks = await api(secretKey, "GET", `/v1/workbooks?spaceId=${result.spaceId}`);
  assert.deepEqual(workbooks.json.data.map((w) => [w.name, w.sheets[0].slug]), [["Contacts", "contacts"]]);

  // The iframe the embed created opens Latchkey's own space page, which renders the space.
  const iframe = page.locator("#flatfile_iframe");
  await iframe.waitFor();
  const src = await iframe.getAttribute("src");
  assert.ok(src.startsWith(`${BASE}/s/space/${result.spaceId}?token=`), src);
  const frame = page.frameLocator("#flatfile_iframe");
  await frame.locator("#space-name").filter({ hasText: SPACE_NAME }).waitFor();
  assert.match(await frame.locator("#who").textContent(), /^Signed in as an embedded session \(space token\) until /);
  await frame.locator("#workbooks li").filter({ hasText: "Contacts" }).waitFor();
  const inner = page.frames().find((f) => f.url().startsWith(`${BASE}/s/space/`));
  assert.ok(inner, "the space page frame");
  assert.equal(new URL(inner.url()).search, "", "the page drops the token from its address");
  await page.screenshot({ path: join(OUTPUT, "embed-1-space-page.png"), fullPage: true });

  // A workbook added to the space shows on the page (reloaded: the token was kept for the tab).
  const wb = await api(secretKey, "POST", "/v1/workbooks", { name: "Orders", spaceId: result.spaceId });
  assert.equal(wb.status, 200, JSON.stringify(wb.json));
  await inner.evaluate(() => location.reload());
  await frame.locator("#workbooks li").filter({ hasText: "Orders" }).waitFor();
  assert.equal(await frame.locator("#workbooks li").count(), 2);
  await page.screenshot({ path: join(OUTPUT, "embed-2-with-workbook.png"), fullPage: true });
});

test("the space token works from the page through a real preflight, as the embed's client calls it", async () => {
  const answer = await page.evaluate(async ({ api }) => {
    const token = window.CROSSENV_FLATFILE_API_KEY;
    const spaceId = (await window.embedResult).spaceId;
    const res = await fetch(`${api}/v1/spaces/${spaceId}`, {
      method: "PATCH",
      headers: {
        Authorization: `Bearer ${token}`, "Content-Type": "application/json", "X-Disable-Hooks": "true",
        "X-Fern-Language": "JavaScript", "X-Fern-SDK-Name": "@flatfile/api", "X-Fern-SDK-Version": "1.11.0",
      },
      body: JSON.stringify({ metadata: { sidebarConfig: { showSidebar: false, defaultPage: { workbook: {} } } } }),
    });
    return { status: res.status, body: await res.json() };
  }, { api: BASE });
  assert.equal(answer.status, 200, JSON.stringify(answer));
  assert.deepEqual(answer.body.data.metadata.sidebarConfig.defaultPage, { workbook: {} });
});

test("a secret key used from that page is refused, with a JSON error the page can read", async () => {
  expectedStatuses.push(403);
  const answer = await page.evaluate(async ({ api, sk }) => {
    const res = await fetch(`${api}/v1/spaces`, { headers: { Authorization: `Bearer ${sk}`, "X-Disable-Hooks": "true" } });
    return { status: res.status, body: await res.json() };
  }, { api: BASE, sk: secretKey });
  assert.equal(answer.status, 403, JSON.stringify(answer));
  assert.equal(answer.body.errors[0].key, "origin-not-allowed");
  assert.equal(answer.body.data, undefined);
  await page.waitForTimeout(200);
  assert.deepEqual(expectedStatuses, [], "the refusal showed up as the one expected failed request");
});

test("a magic link and a shared link land on the same space page", async () => {
  const spaceId = (await page.evaluate(() => window.embedResult)).spaceId;
  const email = "gwen.guest@example.com";
  const guests = await api(secretKey, "POST", "/v1/guests", [
    { environmentId: devEnv, email, name: "Gwen Guest", spaces: [{ id: spaceId }] },
  ]);
  assert.equal(guests.status, 200, JSON.stringify(guests.json));
  const invited = await api(secretKey, "POST", "/v1/invitations", [{ guestId: guests.json.data[0].id, spaceId }]);
  assert.equal(invited.status, 200, JSON.stringify(invited.json));
  const outbox = await api(admin, "GET", "/v1/latchkey/outbox");
  const mail = outbox.json.data.find((m) => m.to === email);
  const link = /https?:\/\/\S+\/join\/\S+#token=lt_\w+/.exec(mail.body)?.[0];
  assert.ok(link?.startsWith(`${BASE}/join/${spaceId}#token=`), mail.body);

  const guestPage = await context.newPage();
  guestPage.on("console", (msg) => msg.type() === "error" && problems.push(`guest page console error: ${msg.text()}`));
  guestPage.on("pageerror", (error) => problems.push(`guest page error: ${error.message}`));
  await guestPage.goto(link);
  await guestPage.locator("#space-name").filter({ hasText: SPACE_NAME }).waitFor();
  assert.match(await guestPage.locator("#who").textContent(), new RegExp(`^Signed in as guest ${email} until `));
  assert.equal(new URL(guestPage.url()).hash, "", "the link token is dropped from the address");
  await guestPage.screenshot({ path: join(OUTPUT, "embed-3-magic-link.png"), fullPage: true });

  await guestPage.goto(`${BASE}/join/${spaceId}`);
  await guestPage.evaluate(() => sessionStorage.clear());
  await guestPage.reload();
  await guestPage.getByLabel("Email").fill("walk.in@example.com");
  await guestPage.getByRole("button", { name: "Join" }).click();
  await guestPage.locator("#space-name").filter({ hasText: SPACE_NAME }).waitFor();
  assert.match(await guestPage.locator("#who").textContent(), /^Signed in as guest walk\.in@example\.com until /);
  await guestPage.close();
});

test("no console errors on either page and no request left loopback", async () => {
  // The listener sees the space page's console too: a probe error in the frame is caught.
  const inner = page.frames().find((f) => f.url().startsWith(`${BASE}/s/space/`));
  await inner.evaluate(() => console.error("latchkey-frame-probe"));
  await page.waitForTimeout(300);
  const probe = problems.findIndex((p) => p.includes("latchkey-frame-probe"));
  assert.ok(probe >= 0, "console errors of the iframe are captured");
  problems.splice(probe, 1);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, [], "the embed must not need any external host");
});
