// auth.refreshToken (POST /v1/auth/refresh-token with a bare JSON string; the refresh credential
// is a still-valid access token) and Latchkey's publishable-key tokens (POST /v1/auth with
// {"publishableKey"}; fetch, because the SDK strips keys its Credentials union does not know).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ID,
  adminClient,
  adminSession,
  adminToken,
  client,
  createClientCredentials,
  createEnvironment,
  createPat,
  expectHttpError,
  http,
  installHooks,
  inviteUser,
  jwtPayload,
  login,
} from "./helpers.mjs";

installHooks();

/** POST /v1/auth {publishableKey}: the AccessToken body (asserting 200). */
async function keyToken(publishableKey) {
  const { status, body } = await http("POST", "/v1/auth", { json: { publishableKey } });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

async function whoami(token) {
  const { status, body } = await http("GET", "/v1/latchkey/whoami", { token });
  assert.equal(status, 200);
  return body.data;
}

describe("auth.refreshToken", () => {
  test("a login token refreshes to a new 24-hour AccessToken for the same user", async () => {
    const original = await login();
    const refreshed = await client(original.accessToken).auth.refreshToken(original.accessToken);
    assert.equal("data" in refreshed, false, "AccessToken comes without a data envelope");
    assert.match(refreshed.accessToken, ID.jwt);
    assert.notEqual(refreshed.accessToken, original.accessToken);
    assert.equal(refreshed.expiresIn, "86400");
    assert.match(refreshed.expires, ID.isoMillis);
    assert.equal(refreshed.userId, original.userId);
    assert.equal(refreshed.email, original.email);
    assert.equal(refreshed.accountId, original.accountId);

    const before = jwtPayload(original.accessToken);
    const after = jwtPayload(refreshed.accessToken);
    assert.equal(after.sub, before.sub);
    assert.equal(after.exp - after.iat, 86400);
    assert.ok(after.exp >= before.exp, "the new token does not expire earlier");
    assert.equal(new Date(after.exp * 1000).toISOString(), refreshed.expires);

    const api = client(refreshed.accessToken);
    assert.ok(Array.isArray((await api.environments.list()).data), "the new token works");
    // Refreshing rotates the login session: the old token stops working at once.
    await expectHttpError(client(original.accessToken).environments.list(), { status: 401, key: "revoked" });
    assert.equal((await whoami(refreshed.accessToken)).via, "login-token");
  });

  test("the body is the credential: the client's own bearer does not matter", async () => {
    const original = await login();
    const refreshed = await client("not-a-credential").auth.refreshToken(original.accessToken);
    assert.equal(refreshed.userId, original.userId);
  });

  test("a refreshed token refreshes again", async () => {
    const first = await login();
    const second = await client("unused").auth.refreshToken(first.accessToken);
    const third = await client("unused").auth.refreshToken(second.accessToken);
    assert.equal(third.userId, first.userId);
    assert.ok(Array.isArray((await client(third.accessToken).environments.list()).data));
  });

  test("a Member's refreshed token is still a Member's", async () => {
    const member = await inviteUser({ prefix: "refresh-member" });
    const refreshed = await client("unused").auth.refreshToken(member.session.accessToken);
    assert.equal(refreshed.userId, member.user.id);
    assert.equal((await whoami(refreshed.accessToken)).role, "Member");
    await expectHttpError(client(refreshed.accessToken).users.list(), { status: 403 });
  });

  test("a client-credentials token refreshes; once its client is deleted, refresh is a 401 revoked", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const pair = await createClientCredentials(admin, userId);
    const token = await client("unused").auth.createAccessToken({
      type: "apiCredentials",
      clientId: pair.clientId,
      secret: pair.secret,
    });
    const refreshed = await client("unused").auth.refreshToken(token.accessToken);
    assert.equal(refreshed.userId, userId);
    assert.equal((await whoami(refreshed.accessToken)).via, "client-credentials-token");
    assert.equal(jwtPayload(refreshed.accessToken).par, pair.clientId, "the new token keeps the same parent");

    const gone = await http("DELETE", `/v1/users/${userId}/api-token/${pair.clientId}`, { token: await adminToken() });
    assert.equal(gone.status, 200, JSON.stringify(gone.body));
    // refreshToken maps only 400 and 404, so a 401 is a plain FlatfileError.
    await expectHttpError(client("unused").auth.refreshToken(token.accessToken), { status: 401, key: "revoked" });
    await expectHttpError(client("unused").auth.refreshToken(refreshed.accessToken), { status: 401, key: "revoked" });
    await expectHttpError(client(refreshed.accessToken).environments.list(), { status: 401, key: "revoked" });
  });

  test("a deleted user's token no longer refreshes (401 revoked)", async () => {
    const admin = await adminClient();
    const member = await inviteUser({ prefix: "refresh-gone" });
    await admin.users.delete(member.user.id);
    await expectHttpError(client("unused").auth.refreshToken(member.session.accessToken), {
      status: 401,
      key: "revoked",
    });
  });

  test("only access tokens refresh: a PAT, a secret key or garbage is a 401 malformed", async () => {
    const { token: pat } = await createPat(await adminClient());
    const { secret } = await createEnvironment("refresh-sk");
    for (const value of [pat, secret.rawKey, "garbage"]) {
      await expectHttpError(client("unused").auth.refreshToken(value), { status: 401, key: "malformed" });
    }
  });

  test("a tampered access token does not refresh (401 malformed)", async () => {
    const accessToken = await adminToken();
    const [h, p, s] = accessToken.split(".");
    const flipped = s[0] === "A" ? `B${s.slice(1)}` : `A${s.slice(1)}`;
    await expectHttpError(client("unused").auth.refreshToken(`${h}.${p}.${flipped}`), {
      status: 401,
      key: "malformed",
    });
  });

  test("the body must be a JSON string (400 otherwise; sent raw, the SDK only sends strings)", async () => {
    const { status, body } = await http("POST", "/v1/auth/refresh-token", { json: { token: await adminToken() } });
    assert.equal(status, 400, JSON.stringify(body));
  });
});

describe("publishable-key tokens: POST /v1/auth {publishableKey}", () => {
  test("answer an AccessToken bound to the key's environment, without a user", async () => {
    const { env, publishable } = await createEnvironment("pk-token");
    const token = await keyToken(publishable.rawKey);
    assert.match(token.accessToken, ID.jwt);
    assert.equal(token.expiresIn, "86400");
    assert.match(token.expires, ID.isoMillis);
    assert.equal(token.environmentId, env.id);
    assert.equal(token.accountId, env.accountId);
    assert.equal(token.userId, undefined, "no user");
    assert.equal(token.email, undefined, "no email");
    const claims = jwtPayload(token.accessToken);
    assert.equal(claims.exp - claims.iat, 86400);

    const who = await whoami(token.accessToken);
    assert.equal(who.valid, true);
    assert.equal(who.kind, "environment");
    assert.equal(who.via, "publishable-key-token");
    assert.equal(who.id, publishable.id);
    assert.equal(who.environmentId, env.id);
    assert.equal(who.keyType, "PUBLISHABLE");
    assert.deepEqual(who.operations, publishable.operations);
  });

  test("the token may only do its key's operations: spaces.create works, environments.list is a 403", async () => {
    const { env, publishable } = await createEnvironment("pk-ops");
    const api = client((await keyToken(publishable.rawKey)).accessToken);
    // The default allow-list is POST /v1/spaces only.
    assert.deepEqual(publishable.operations, [{ path: "/v1/spaces", method: "POST" }]);
    const space = (await api.spaces.create({ name: "made with a key token" })).data;
    assert.equal(space.environmentId, env.id, "the space lands in the key's environment");
    // (The space goes with the environment when the hooks delete it.)
    await expectHttpError(api.spaces.list({ environmentId: env.id }), { status: 403, message: /publishable key/ });
    await expectHttpError(api.environments.list(), { status: 403, message: /publishable key/ });
    await expectHttpError(api.environments.get(env.id), { status: 403 });
    await expectHttpError(api.auth.getApiKeys({ environmentId: env.id }), { status: 403 });
    await expectHttpError(api.auth.createPersonalAccessToken({ name: "nope" }), { status: 403 });
  });

  test("it refreshes, keeping the environment", async () => {
    const { env, publishable } = await createEnvironment("pk-refresh");
    const token = await keyToken(publishable.rawKey);
    const refreshed = await client("unused").auth.refreshToken(token.accessToken);
    assert.equal(refreshed.environmentId, env.id);
    assert.equal(refreshed.userId, undefined);
    assert.equal((await whoami(refreshed.accessToken)).via, "publishable-key-token");
  });

  test("deleting the publishable key revokes its tokens (401 revoked) and the exchange", async () => {
    const admin = await adminClient();
    const { env, publishable } = await createEnvironment("pk-revoke");
    const token = await keyToken(publishable.rawKey);
    const refreshed = await client("unused").auth.refreshToken(token.accessToken);
    await admin.auth.deleteApiKey({ environmentId: env.id, key: publishable.id });

    for (const accessToken of [token.accessToken, refreshed.accessToken]) {
      await expectHttpError(client(accessToken).environments.list(), { status: 401, key: "revoked" });
      const who = await whoami(accessToken);
      assert.deepEqual([who.valid, who.reason], [false, "revoked"]);
    }
    await expectHttpError(client("unused").auth.refreshToken(token.accessToken), { status: 401, key: "revoked" });
    const again = await http("POST", "/v1/auth", { json: { publishableKey: publishable.rawKey } });
    assert.equal(again.status, 401, JSON.stringify(again.body));
    assert.equal(again.body.errors[0].key, "revoked");
  });

  test("deleting the environment revokes its key tokens", async () => {
    const admin = await adminClient();
    const { env, publishable } = await createEnvironment("pk-env-gone");
    const token = await keyToken(publishable.rawKey);
    await admin.environments.delete(env.id);
    await expectHttpError(client(token.accessToken).environments.list(), { status: 401 });
  });

  test("only publishable keys are exchanged: a secret key is a 400 naming publishableKey", async () => {
    const { secret } = await createEnvironment("pk-secret");
    const { status, body } = await http("POST", "/v1/auth", { json: { publishableKey: secret.rawKey } });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "publishableKey");
  });

  test("a mistyped publishable key is a 401 malformed", async () => {
    const { publishable } = await createEnvironment("pk-typo");
    const raw = publishable.rawKey;
    const typo = `${raw.slice(0, 10)}${raw[10] === "x" ? "y" : "x"}${raw.slice(11)}`;
    const { status, body } = await http("POST", "/v1/auth", { json: { publishableKey: typo } });
    assert.equal(status, 401, JSON.stringify(body));
    assert.equal(body.errors[0].key, "malformed");
  });
});
