// Shared set-up for the SDK compatibility tests: configuration from the environment, clients
// built the way a Flatfile user builds them, and assertions for the SDK's error objects.
//
// Run through `cargo test --test sdk` (tests/sdk.rs), which starts a fresh latchkey and sets:
//   LATCHKEY_URL             e.g. http://127.0.0.1:PORT (no trailing slash)
//   LATCHKEY_ADMIN_EMAIL     the bootstrap Administrator
//   LATCHKEY_ADMIN_PASSWORD  their password
//   LATCHKEY_SDK_PACKAGE     the client package to drive: "@flatfile/api" (1.23.0) or
//                            "@flatfile/api-1.23.1" (npm alias of 1.23.1); default the first

import assert from "node:assert/strict";
import { afterEach, beforeEach } from "node:test";

// @flatfile/api 1.23.1 sets a `Keep-Alive` request header, which Node's built-in fetch (undici)
// refuses before anything is sent ("invalid keep-alive header"). No server can fix that; a
// Node user of 1.23.1 strips the header, as this wrapper does (1.23.0 never sends it).
const nodeFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  if (init.headers instanceof Headers) {
    const headers = new Headers(init.headers);
    headers.delete("keep-alive");
    init = { ...init, headers };
  } else if (init.headers && typeof init.headers === "object") {
    const headers = { ...init.headers };
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === "keep-alive") delete headers[name];
    }
    init = { ...init, headers };
  }
  return nodeFetch(input, init);
};

export const SDK_PACKAGE = process.env.LATCHKEY_SDK_PACKAGE || "@flatfile/api";
const { Flatfile, FlatfileClient, FlatfileError } = await import(SDK_PACKAGE);

export { Flatfile, FlatfileClient, FlatfileError };

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run these tests through \`cargo test --test sdk\``);
  }
  return value;
}

export const URL = required("LATCHKEY_URL").replace(/\/+$/, "");
export const API_URL = `${URL}/v1`;
export const ADMIN_EMAIL = required("LATCHKEY_ADMIN_EMAIL");
export const ADMIN_PASSWORD = required("LATCHKEY_ADMIN_PASSWORD");

export const ID = {
  account: /^us_acc_[A-Za-z0-9]+$/,
  user: /^us_usr_[A-Za-z0-9]+$/,
  environment: /^us_env_[A-Za-z0-9]+$/,
  key: /^us_key_[A-Za-z0-9]+$/,
  secretKey: /^sk_[A-Za-z0-9]+$/,
  publishableKey: /^pk_[A-Za-z0-9]+$/,
  pat: /^us_pat_[A-Za-z0-9]+$/,
  patToken: /^pat_[A-Za-z0-9]+$/,
  client: /^us_cli_[A-Za-z0-9]+$/,
  clientSecret: /^cs_[A-Za-z0-9]+$/,
  linkToken: /^lt_[A-Za-z0-9]+$/,
  role: /^us_rol_[A-Za-z0-9]+$/,
  actorRole: /^us_acr_[A-Za-z0-9]+$/,
  space: /^us_sp_[A-Za-z0-9]+$/,
  workbook: /^us_wb_[A-Za-z0-9]+$/,
  guest: /^us_g_[A-Za-z0-9]+$/,
  secret: /^us_sec_[A-Za-z0-9]+$/,
  event: /^us_evt_[A-Za-z0-9]+$/,
  jwt: /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
  isoMillis: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
};

/** A client exactly as a Flatfile user would build one against this server. */
export function client(token) {
  return new FlatfileClient({ token, apiUrl: API_URL });
}

/** Logs the Administrator in through the SDK and returns the AccessToken response. */
export async function login(email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
  // The token given here is never sent: POST /auth is how a token is obtained.
  return client("unused").auth.createAccessToken({ type: "userCredentials", email, password });
}

let adminSessionPromise;
/** The bootstrap Administrator's AccessToken response (one login per test file). */
export function adminSession() {
  adminSessionPromise ??= login();
  return adminSessionPromise;
}

/** An Administrator access token (one login per test file). */
export async function adminToken() {
  return (await adminSession()).accessToken;
}

/** A client holding the Administrator access token. */
export async function adminClient() {
  return client(await adminToken());
}

/** Environments made by createEnvironment during the current test, deleted after it. */
const createdEnvironments = [];
/** PATs, client-credentials pairs and users made during the current test, deleted after it. */
const createdPats = [];
const createdClients = [];
const createdUsers = [];

/** Has the PAT deleted after the current test (an Administrator may delete anyone's). */
export function trackPat(id) {
  createdPats.push(id);
}

/** Has the client-credentials pair deleted after the current test. */
export function trackClient(userId, clientId) {
  createdClients.push({ userId, clientId });
}

/** Has the user deleted after the current test (with their PATs and client credentials). */
export function trackUser(id) {
  createdUsers.push(id);
}

/** Has the environment deleted after the current test (for environments made without createEnvironment). */
export function trackEnvironment(id) {
  createdEnvironments.push(id);
}

let counter = 0;
/** A unique environment name for this process. */
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** A unique, lower-case email address for this process. */
export function uniqueEmail(prefix) {
  return `${uniqueName(prefix)}@example.com`.toLowerCase();
}

/** Creates a PAT through `sdk` (a client holding a user's credential), deleted after the test. */
export async function createPat(sdk, name = uniqueName("pat")) {
  const created = (await sdk.auth.createPersonalAccessToken({ name })).data;
  trackPat(created.personalAccessToken.id);
  return created;
}

/** Creates a client-credentials pair for `userId` through `sdk`, deleted after the test. */
export async function createClientCredentials(sdk, userId, tenantId = "sdk-tenant") {
  const created = (await sdk.users.createApiToken(userId, { tenantId })).data;
  trackClient(userId, created.clientId);
  return created;
}

/** The id of the role named `name` (Administrator, Member, Guest), from roles.list(). */
export async function roleId(name) {
  const admin = await adminClient();
  const role = (await admin.roles.list()).data.find((r) => r.name === name);
  assert.ok(role, `roles.list() has a role named ${name}`);
  return role.id;
}

/**
 * The newest mail in the outbox (GET /v1/latchkey/outbox, Administrator) sent to `email`, and the
 * single-use link token `lt_…` in its body.
 */
export async function invitationFor(email) {
  const { status, body } = await http("GET", "/v1/latchkey/outbox?pageSize=100", { token: await adminToken() });
  assert.equal(status, 200, `outbox: ${JSON.stringify(body)}`);
  const mail = body.data.find((m) => m.to === email.toLowerCase());
  assert.ok(mail, `a mail to ${email} is in the outbox`);
  const token = mail.body.match(/\blt_[A-Za-z0-9]+/)?.[0];
  assert.ok(token, `the mail to ${email} carries a link token: ${mail.body}`);
  return { mail, token };
}

/** Redeems an invitation link: POST /v1/latchkey/password {token, password}. */
export function setPassword(token, password) {
  return http("POST", "/v1/latchkey/password", { json: { token, password } });
}

/**
 * Invites a user through the SDK with the role named `role` (deleted after the test). Unless
 * `accept` is false, also redeems the invitation with a fresh password and logs them in.
 * Returns `{ user, email, name, password?, session?, sdk? }`: `session` is their AccessToken
 * response and `sdk` a client holding it.
 */
export async function inviteUser({ role = "Member", prefix = "user", accept = true } = {}) {
  const admin = await adminClient();
  const { accountId } = await adminSession();
  const email = uniqueEmail(prefix);
  const name = `SDK ${uniqueName(prefix)}`;
  const user = (
    await admin.users.createAndInvite({
      email,
      name,
      actorRoles: [{ roleId: await roleId(role), resourceId: accountId }],
    })
  ).data;
  trackUser(user.id);
  if (!accept) return { user, email, name };
  const { token } = await invitationFor(email);
  const password = `pw-${uniqueName("secret")}-0123456789`;
  const redeemed = await setPassword(token, password);
  assert.equal(redeemed.status, 200, `set password: ${JSON.stringify(redeemed.body)}`);
  const session = await login(email, password);
  return { user, email, name, password, session, sdk: client(session.accessToken) };
}

/**
 * Creates an environment owned by the calling test and returns it with its auto-created keys:
 * `{ env, secret, publishable }` where `secret`/`publishable` are ApiKey objects with rawKey.
 */
export async function createEnvironment(prefix = "sdk") {
  const admin = await adminClient();
  const created = await admin.environments.create({ name: uniqueName(prefix), isProd: false });
  const env = created.data;
  trackEnvironment(env.id);
  const keys = (await admin.auth.getApiKeys({ environmentId: env.id })).data;
  const secret = keys.find((k) => k.type === "SECRET");
  const publishable = keys.find((k) => k.type === "PUBLISHABLE");
  assert.ok(secret?.rawKey, "a new environment has a secret key with its raw value");
  assert.ok(publishable?.rawKey, "a new environment has a publishable key with its raw value");
  return { env, secret, publishable };
}

/**
 * Creates a space through `sdk` (the Administrator's client by default) in `environmentId` and
 * returns the Space. Spaces, their workbooks, guests and secrets go with their environment, so
 * the environment hook cleans them up.
 */
export async function createSpace(environmentId, config = {}, sdk = undefined) {
  const api = sdk ?? (await adminClient());
  return (await api.spaces.create({ name: uniqueName("space"), environmentId, ...config })).data;
}

/** Creates a workbook in `spaceId` through the Administrator's client and returns it. */
export async function createWorkbook(spaceId, config = {}) {
  const admin = await adminClient();
  return (await admin.workbooks.create({ name: uniqueName("wb"), spaceId, ...config })).data;
}

/**
 * Creates one guest in `environmentId` with the given `GuestSpace[]` grants through
 * guests.create and returns the Guest (it goes with its environment).
 */
export async function createGuest(environmentId, spaces, { prefix = "guest", email = uniqueEmail(prefix) } = {}) {
  const admin = await adminClient();
  const created = (await admin.guests.create([{ environmentId, email, name: `Guest ${uniqueName(prefix)}`, spaces }])).data;
  assert.equal(created.length, 1);
  return created[0];
}

/** A guest token for `guestId` (limited to `spaceId` when given) from guests.getGuestToken. */
export async function guestToken(guestId, spaceId = undefined) {
  const admin = await adminClient();
  const { data } = await admin.guests.getGuestToken(guestId, spaceId === undefined ? {} : { spaceId });
  assert.equal(data.valid, true);
  return data.token;
}

/**
 * Awaits a call that must fail over HTTP and checks what the SDK threw:
 * - `type`: the class the SDK must throw (FlatfileError for statuses the endpoint does not map,
 *   or Flatfile.NotFoundError / BadRequestError / ForbiddenError for mapped ones);
 * - `status`: err.statusCode;
 * - `key` / `message`: body.errors[0].key (exact; pass null to require its absence) and
 *   body.errors[0].message (a RegExp).
 * Returns the error for further checks.
 */
export async function expectHttpError(promise, { type = FlatfileError, status, key, message }) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected the call to fail with HTTP ${status}, but it succeeded`);
  assert.ok(
    error instanceof type,
    `expected ${type.name}, got ${error?.constructor?.name}: ${error?.message}`,
  );
  if (type === FlatfileError) {
    // Statuses without a mapping must come through as the plain class, not a subclass.
    assert.equal(Object.getPrototypeOf(error), FlatfileError.prototype, `expected a plain FlatfileError, got ${error.constructor?.name}`);
  }
  assert.equal(error.statusCode, status, `status code; body: ${JSON.stringify(error.body)}`);
  assert.ok(error.body && Array.isArray(error.body.errors), `an Errors body, got ${JSON.stringify(error.body)}`);
  assert.equal(error.body.errors.length, 1, `one error item, got ${JSON.stringify(error.body)}`);
  const [item] = error.body.errors;
  assert.equal(typeof item.message, "string");
  assert.ok(item.message.length > 0, "the error message is not empty");
  if (key === null) {
    assert.equal(item.key, undefined, `no error key expected, got ${item.key}`);
  } else if (key !== undefined) {
    assert.equal(item.key, key, `error key; message: ${item.message}`);
  }
  if (message !== undefined) {
    assert.match(item.message, message);
  }
  return error;
}

/** fetch against the server with an optional bearer token and JSON body; returns {status, body, headers}. */
export async function http(method, path, { token, json } = {}) {
  const headers = {};
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${URL}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  let body;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    assert.fail(`${method} ${path} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body, headers: response.headers };
}

/** The payload of a JWT, decoded without verification. */
export function jwtPayload(token) {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

/** The id of the environment `token` (an environment key) belongs to, via environments.get("current"). */
export async function currentEnvironmentId(token) {
  return (await client(token).environments.get("current")).data.id;
}

/**
 * Hooks every test file installs (call once at the top level):
 * - The SDK reports response-schema mismatches only through console.warn("Failed to validate…")
 *   and then carries on with the raw value. Those warnings are captured and fail the test that
 *   caused them, so a shape the SDK does not accept cannot slip through.
 * - Environments, users, PATs and client credentials the test made (createEnvironment, inviteUser,
 *   createPat, createClientCredentials, track*) are deleted after each test, so the suite stays
 *   far below the limits and can be re-run against the same server.
 */
export function installHooks() {
  const original = console.warn;
  let captured = [];
  beforeEach(() => {
    captured = [];
    console.warn = (...args) => {
      captured.push(args.map(String).join(" "));
      original.apply(console, args);
    };
  });
  afterEach(async () => {
    console.warn = original;
    // 404: the test deleted it itself (or it went with its user).
    const paths = [
      ...createdPats.splice(0).map((id) => `/v1/auth/personal-access-tokens/${id}`),
      ...createdClients.splice(0).map((c) => `/v1/users/${c.userId}/api-token/${c.clientId}`),
      ...createdUsers.splice(0).map((id) => `/v1/users/${id}`),
      ...createdEnvironments.splice(0).map((id) => `/v1/environments/${id}`),
    ];
    if (paths.length > 0) {
      const accessToken = await adminToken();
      for (const path of paths) {
        const { status, body } = await http("DELETE", path, { token: accessToken });
        assert.ok(status === 200 || status === 404, `clean-up of ${path}: ${status} ${JSON.stringify(body)}`);
      }
    }
    const failures = captured.filter((w) => w.includes("Failed to validate"));
    assert.deepEqual(failures, [], "the SDK warned that a response does not match its schema");
  });
}
