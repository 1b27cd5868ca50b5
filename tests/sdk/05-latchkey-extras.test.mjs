// The rest of what the server serves outside the SDK (plain fetch): health, JWKS, whoami, the
// docs' login forms, and the error bodies for unknown routes and methods.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ID,
  URL,
  adminClient,
  adminToken,
  createEnvironment,
  http,
  installHooks,
  jwtPayload,
  login,
} from "./helpers.mjs";

installHooks();

describe("system endpoints", () => {
  test("GET /health", async () => {
    const { status, body } = await http("GET", "/health");
    assert.equal(status, 200);
    assert.deepEqual(body, { data: { status: "ok" } });
  });

  test("GET /.well-known/jwks.json publishes the key that signs access tokens", async () => {
    const { status, body } = await http("GET", "/.well-known/jwks.json");
    assert.equal(status, 200);
    assert.ok(Array.isArray(body.keys) && body.keys.length >= 1);
    const accessToken = await adminToken();
    const header = JSON.parse(Buffer.from(accessToken.split(".")[0], "base64url").toString("utf8"));
    assert.ok(
      body.keys.some((k) => k.kid === header.kid),
      `the token's kid ${header.kid} is in the JWKS`,
    );
  });
});

describe("GET /v1/latchkey/whoami", () => {
  test("describes an Administrator token", async () => {
    const token = await login();
    const { status, body } = await http("GET", "/v1/latchkey/whoami", { token: token.accessToken });
    assert.equal(status, 200);
    assert.equal(body.data.valid, true);
    assert.equal(body.data.kind, "user");
    assert.equal(body.data.id, token.userId);
    assert.equal(body.data.accountId, token.accountId);
    assert.equal(body.data.role, "Administrator");
    assert.equal(Date.parse(body.data.expiresAt), jwtPayload(token.accessToken).exp * 1000);
  });

  test("describes a secret key", async () => {
    const { env, secret } = await createEnvironment("whoami");
    const { body } = await http("GET", "/v1/latchkey/whoami", { token: secret.rawKey });
    assert.equal(body.data.valid, true);
    assert.equal(body.data.kind, "environment");
    assert.equal(body.data.id, secret.id);
    assert.equal(body.data.environmentId, env.id);
    assert.equal(body.data.keyType, "SECRET");
  });

  test("says why a deleted key is refused, without failing the request", async () => {
    const admin = await adminClient();
    const { env, secret } = await createEnvironment("whoami-deleted");
    await admin.auth.deleteApiKey({ environmentId: env.id, key: secret.id });
    const { status, body } = await http("GET", "/v1/latchkey/whoami", { token: secret.rawKey });
    assert.equal(status, 200);
    assert.equal(body.data.valid, false);
    // A deleted key's digest stays behind as a tombstone, so it reads as revoked, not unknown.
    assert.equal(body.data.reason, "revoked");
    assert.equal(typeof body.data.message, "string");
  });

  test("no credential", async () => {
    const { status, body } = await http("GET", "/v1/latchkey/whoami");
    assert.equal(status, 200);
    assert.deepEqual([body.data.valid, body.data.reason], [false, "missing"]);
  });
});

describe("login forms from the docs", () => {
  test("POST /v1/auth without type", async () => {
    const { status, body } = await http("POST", "/v1/auth", { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.accessToken, ID.jwt);
    assert.equal(body.expiresIn, "86400");
  });

  test("POST /v1/auth/access-token (older docs)", async () => {
    const { status, body } = await http("POST", "/v1/auth/access-token", {
      json: { type: "userCredentials", email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.accessToken, ID.jwt);
  });

  test("an empty body is a 400 naming body", async () => {
    const response = await fetch(`${URL}/v1/auth`, { method: "POST" });
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.errors[0].key, "body");
  });
});

describe("unknown routes and methods answer JSON errors", () => {
  test("an unknown path is a 404 with an Errors body", async () => {
    const { status, body } = await http("GET", "/v1/no-such-thing");
    assert.equal(status, 404);
    assert.equal(typeof body.errors[0].message, "string");
  });

  test("a known path with the wrong method is a 405 with an Errors body", async () => {
    const accessToken = await adminToken();
    const { status, body } = await http("PUT", "/v1/environments", { token: accessToken, json: {} });
    assert.equal(status, 405);
    assert.equal(typeof body.errors[0].message, "string");
  });
});
