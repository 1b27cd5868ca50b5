// Client credentials: users.createApiToken / users.listApiTokens, exchanging the pair with
// auth.createAccessToken({type:"apiCredentials"}), and Latchkey's own
// DELETE /v1/users/{userId}/api-token/{clientId} (fetch; not in the SDK).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ID,
  adminClient,
  adminSession,
  adminToken,
  client,
  createClientCredentials,
  expectHttpError,
  http,
  installHooks,
  inviteUser,
  jwtPayload,
  uniqueName,
} from "./helpers.mjs";

installHooks();

function exchange(clientId, secret) {
  return client("unused").auth.createAccessToken({ type: "apiCredentials", clientId, secret });
}

function deleteClient(userId, clientId, token) {
  return http("DELETE", `/v1/users/${userId}/api-token/${clientId}`, { token });
}

describe("users.createApiToken", () => {
  test("answers {data: ApiToken} with a us_cli_ client id and a cs_ secret", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const tenantId = uniqueName("tenant");
    const response = await admin.users.createApiToken(userId, { tenantId });
    const created = response.data;
    const gone = await deleteClient(userId, created.clientId, await adminToken());
    assert.equal(gone.status, 200, JSON.stringify(gone.body));

    assert.match(created.clientId, ID.client);
    assert.match(created.secret, ID.clientSecret);
    assert.equal(typeof created.description, "string");
    assert.ok(created.description.length > 0);
    assert.deepEqual(created.metadata, {});
    assert.equal(typeof created.createdAt, "string", "ApiToken.createdAt stays a string in the SDK");
    assert.match(created.createdAt, ID.isoMillis);
    assert.ok(Math.abs(Date.now() - Date.parse(created.createdAt)) < 24 * 3600 * 1000, "createdAt is about now");
  });

  test("each pair is new: different client ids and secrets", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const a = await createClientCredentials(admin, userId);
    const b = await createClientCredentials(admin, userId);
    assert.notEqual(a.clientId, b.clientId);
    assert.notEqual(a.secret, b.secret);
  });

  test("tenantId is required (400 naming it); the SDK always sends it, so send this one raw", async () => {
    const { userId } = await adminSession();
    const { status, body } = await http("POST", `/v1/users/${userId}/api-token`, { token: await adminToken() });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "tenantId");
  });

  test("an unknown user is a 404 (FlatfileError: users maps no statuses)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.users.createApiToken("us_usr_zzzzzzzz", { tenantId: "t" }), { status: 404 });
  });

  test("a Member may create a pair for themself, not for the Administrator (403)", async () => {
    const { userId: adminId } = await adminSession();
    const member = await inviteUser({ prefix: "cli-member" });
    const own = await createClientCredentials(member.sdk, member.user.id);
    assert.match(own.clientId, ID.client);
    await expectHttpError(member.sdk.users.createApiToken(adminId, { tenantId: "t" }), {
      status: 403,
      message: /Administrator/,
    });
  });
});

describe("users.listApiTokens", () => {
  test("lists the user's pairs for the tenant, without secrets, with pagination", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const tenantId = uniqueName("tenant-list");
    const a = await createClientCredentials(admin, userId, tenantId);
    const b = await createClientCredentials(admin, userId, tenantId);
    const other = await createClientCredentials(admin, userId, uniqueName("tenant-other"));

    const response = await admin.users.listApiTokens(userId, { tenantId });
    assert.deepEqual(
      response.data.map((t) => t.clientId),
      [a.clientId, b.clientId],
      "only this tenant's pairs, oldest first",
    );
    assert.deepEqual(response.pagination, { currentPage: 1, pageCount: 1, totalCount: 2 });
    for (const token of response.data) {
      assert.equal("secret" in token, false, "a listed pair has no secret");
      assert.equal(typeof token.description, "string");
      assert.deepEqual(token.metadata, {});
      assert.equal(typeof token.createdAt, "string");
    }
    assert.equal(response.data.find((t) => t.clientId === a.clientId).createdAt, a.createdAt);
    const raw = JSON.stringify(response);
    assert.equal(raw.includes(a.secret) || raw.includes(b.secret) || raw.includes(other.secret), false);
  });

  test("pageSize and pageNumber page through the pairs", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const tenantId = uniqueName("tenant-page");
    const a = await createClientCredentials(admin, userId, tenantId);
    const b = await createClientCredentials(admin, userId, tenantId);
    const first = await admin.users.listApiTokens(userId, { tenantId, pageSize: 1, pageNumber: 1 });
    const second = await admin.users.listApiTokens(userId, { tenantId, pageSize: 1, pageNumber: 2 });
    assert.deepEqual(first.data.map((t) => t.clientId), [a.clientId]);
    assert.deepEqual(second.data.map((t) => t.clientId), [b.clientId]);
    assert.deepEqual(second.pagination, { currentPage: 2, pageCount: 2, totalCount: 2 });
  });

  test("an unused tenant lists nothing", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const response = await admin.users.listApiTokens(userId, { tenantId: uniqueName("tenant-empty") });
    assert.deepEqual(response.data, []);
  });

  test("a Member may not list the Administrator's pairs (403)", async () => {
    const { userId } = await adminSession();
    const member = await inviteUser({ prefix: "cli-list" });
    await expectHttpError(member.sdk.users.listApiTokens(userId, { tenantId: "t" }), { status: 403 });
  });
});

describe("auth.createAccessToken with apiCredentials", () => {
  test("gives a 24-hour AccessToken acting as the pair's user", async () => {
    const admin = await adminClient();
    const session = await adminSession();
    const pair = await createClientCredentials(admin, session.userId);
    const token = await exchange(pair.clientId, pair.secret);
    assert.match(token.accessToken, ID.jwt);
    assert.equal(token.expiresIn, "86400");
    assert.match(token.expires, ID.isoMillis);
    assert.equal(token.userId, session.userId);
    assert.equal(token.accountId, session.accountId);
    assert.equal(token.email, session.email);
    const claims = jwtPayload(token.accessToken);
    assert.equal(claims.exp - claims.iat, 86400);
    assert.equal(claims.sub, session.userId);

    const viaClient = await client(token.accessToken).environments.list({ pageSize: 100 });
    assert.deepEqual(viaClient, await admin.environments.list({ pageSize: 100 }));
    const { body } = await http("GET", "/v1/latchkey/whoami", { token: token.accessToken });
    assert.equal(body.data.valid, true);
    assert.equal(body.data.kind, "user");
    assert.equal(body.data.id, session.userId);
    assert.equal(body.data.via, "client-credentials-token");
    assert.equal(body.data.credentialId, pair.clientId);
    assert.equal(body.data.role, "Administrator");
  });

  test("a Member's pair acts as the Member", async () => {
    const member = await inviteUser({ prefix: "cli-acts" });
    const pair = await createClientCredentials(member.sdk, member.user.id);
    const token = await exchange(pair.clientId, pair.secret);
    assert.equal(token.userId, member.user.id);
    const api = client(token.accessToken);
    assert.ok(Array.isArray((await api.environments.list()).data));
    await expectHttpError(api.users.list(), { status: 403 });
  });

  test("a wrong secret is a 401 with key invalid-credentials, the same body as an unknown client", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const pair = await createClientCredentials(admin, userId);
    const other = await createClientCredentials(admin, userId);
    const wrong = await expectHttpError(exchange(pair.clientId, other.secret), {
      status: 401,
      key: "invalid-credentials",
    });
    const unknown = await expectHttpError(exchange("us_cli_zzzzzzzz", pair.secret), {
      status: 401,
      key: "invalid-credentials",
    });
    assert.deepEqual(wrong.body, unknown.body);
    // The right pair still works afterwards.
    assert.equal((await exchange(pair.clientId, pair.secret)).userId, userId);
  });

  test("the docs' form without type works too", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const pair = await createClientCredentials(admin, userId);
    const { status, body } = await http("POST", "/v1/auth", {
      json: { clientId: pair.clientId, secret: pair.secret },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.accessToken, ID.jwt);
    assert.equal(body.userId, userId);
  });

  test("the secret is not a bearer credential itself (401 malformed)", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const pair = await createClientCredentials(admin, userId);
    await expectHttpError(client(pair.secret).environments.list(), { status: 401, key: "malformed" });
  });
});

describe("DELETE /v1/users/{userId}/api-token/{clientId}", () => {
  test("answers Success; tokens minted from the pair get 401 revoked and the pair no longer logs in", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const tenantId = uniqueName("tenant-del");
    const pair = await createClientCredentials(admin, userId, tenantId);
    const token = await exchange(pair.clientId, pair.secret);
    assert.ok(Array.isArray((await client(token.accessToken).environments.list()).data), "works before");

    const { status, body } = await deleteClient(userId, pair.clientId, await adminToken());
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body, { data: { success: true } });

    await expectHttpError(client(token.accessToken).environments.list(), {
      status: 401,
      key: "revoked",
      message: /^Unauthorized/,
    });
    await expectHttpError(exchange(pair.clientId, pair.secret), { status: 401, key: "invalid-credentials" });
    assert.deepEqual((await admin.users.listApiTokens(userId, { tenantId })).data, []);
    const again = await deleteClient(userId, pair.clientId, await adminToken());
    assert.equal(again.status, 404, JSON.stringify(again.body));
  });

  test("deleting one pair leaves the user's other pairs working", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const doomed = await createClientCredentials(admin, userId);
    const kept = await createClientCredentials(admin, userId);
    const keptToken = await exchange(kept.clientId, kept.secret);
    await deleteClient(userId, doomed.clientId, await adminToken());
    assert.ok(Array.isArray((await client(keptToken.accessToken).environments.list()).data));
  });

  test("the pair's user may delete it; a Member may not delete the Administrator's (403)", async () => {
    const { userId: adminId } = await adminSession();
    const member = await inviteUser({ prefix: "cli-del" });
    const own = await createClientCredentials(member.sdk, member.user.id);
    const adminPair = await createClientCredentials(await adminClient(), adminId);

    const denied = await deleteClient(adminId, adminPair.clientId, member.session.accessToken);
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    assert.equal((await exchange(adminPair.clientId, adminPair.secret)).userId, adminId, "still works");

    const deleted = await deleteClient(member.user.id, own.clientId, member.session.accessToken);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  });

  test("a pair named under another user is a 404 and survives", async () => {
    const { userId: adminId } = await adminSession();
    const member = await inviteUser({ prefix: "cli-wrong" });
    const adminPair = await createClientCredentials(await adminClient(), adminId);
    const { status } = await deleteClient(member.user.id, adminPair.clientId, await adminToken());
    assert.equal(status, 404);
    assert.equal((await exchange(adminPair.clientId, adminPair.secret)).userId, adminId);
  });

  test("deleting the user takes their pairs and client tokens with them", async () => {
    const admin = await adminClient();
    const member = await inviteUser({ prefix: "cli-user-gone" });
    const pair = await createClientCredentials(member.sdk, member.user.id);
    const token = await exchange(pair.clientId, pair.secret);
    assert.deepEqual(await admin.users.delete(member.user.id), { data: { success: true } });
    await expectHttpError(client(token.accessToken).environments.list(), { status: 401, key: "revoked" });
    await expectHttpError(exchange(pair.clientId, pair.secret), { status: 401, key: "invalid-credentials" });
  });
});
