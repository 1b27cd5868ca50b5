// client.auth personal access tokens: createPersonalAccessToken, listPersonalAccessTokens,
// deletePersonalAccessToken, and the raw `pat_…` value used as the client's token.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  ID,
  adminClient,
  adminSession,
  client,
  createEnvironment,
  createPat,
  currentEnvironmentId,
  expectHttpError,
  http,
  installHooks,
  inviteUser,
  uniqueName,
} from "./helpers.mjs";

installHooks();

function assertPatShape(pat) {
  assert.match(pat.id, ID.pat);
  assert.equal(typeof pat.name, "string");
  assert.ok(pat.createdAt instanceof Date, "the SDK turned createdAt into a Date");
  assert.ok(Math.abs(Date.now() - pat.createdAt.getTime()) < 24 * 3600 * 1000, "createdAt is about now");
  if (pat.lastUsedAt !== undefined) assert.ok(pat.lastUsedAt instanceof Date, "lastUsedAt is a Date");
  assert.equal("token" in pat, false, "the PAT object never carries the raw token");
}

async function listed(sdk, id) {
  return (await sdk.auth.listPersonalAccessTokens()).data.find((t) => t.id === id);
}

describe("auth.createPersonalAccessToken", () => {
  test("answers {data:{token, personalAccessToken}} with a pat_ token shown once", async () => {
    const admin = await adminClient();
    const name = uniqueName("ci-deploy");
    const response = await admin.auth.createPersonalAccessToken({ name });
    assert.deepEqual(Object.keys(response).sort(), ["data"]);
    assert.deepEqual(Object.keys(response.data).sort(), ["personalAccessToken", "token"]);
    const { token, personalAccessToken: pat } = response.data;
    await admin.auth.deletePersonalAccessToken(pat.id);
    assert.match(token, ID.patToken);
    assertPatShape(pat);
    assert.equal(pat.name, name);
    assert.equal(pat.lastUsedAt, undefined, "a new PAT has not been used");
  });

  test("the name is trimmed; an empty name is a 400 BadRequestError naming name", async () => {
    const admin = await adminClient();
    const name = uniqueName("padded");
    const { personalAccessToken: pat } = await createPat(admin, `  ${name}  `);
    assert.equal(pat.name, name);
    await expectHttpError(admin.auth.createPersonalAccessToken({ name: "   " }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "name",
    });
  });

  test("two PATs are different tokens with different ids", async () => {
    const admin = await adminClient();
    const a = await createPat(admin);
    const b = await createPat(admin);
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.personalAccessToken.id, b.personalAccessToken.id);
  });

  test("an environment key may not create a PAT (403)", async () => {
    const { secret } = await createEnvironment("pat-sk");
    // createPersonalAccessToken maps only 400, so a 403 is a plain FlatfileError.
    await expectHttpError(client(secret.rawKey).auth.createPersonalAccessToken({ name: "nope" }), {
      status: 403,
      message: /user/,
    });
  });
});

describe("a PAT as the client's token", () => {
  test("lists the same environments as its user's login token", async () => {
    const admin = await adminClient();
    const { token } = await createPat(admin);
    const viaLogin = await admin.environments.list({ pageSize: 100 });
    const viaPat = await client(token).environments.list({ pageSize: 100 });
    assert.deepEqual(viaPat, viaLogin);
  });

  test("whoami: a user, via personal-access-token, with the user's role and no expiry", async () => {
    const session = await adminSession();
    const { token, personalAccessToken: pat } = await createPat(await adminClient());
    const { status, body } = await http("GET", "/v1/latchkey/whoami", { token });
    assert.equal(status, 200);
    assert.equal(body.data.valid, true);
    assert.equal(body.data.kind, "user");
    assert.equal(body.data.via, "personal-access-token");
    assert.equal(body.data.role, "Administrator");
    assert.equal(body.data.id, session.userId);
    assert.equal(body.data.accountId, session.accountId);
    assert.equal(body.data.credentialId, pat.id);
    assert.equal(body.data.expiresAt, null, "a PAT does not expire");
  });

  test("an Administrator's PAT rotates an environment's secret key as the docs show", async () => {
    const { env, secret: old } = await createEnvironment("pat-rotate");
    const { token } = await createPat(await adminClient());
    const api = client(token);

    const [fresh] = (await api.auth.createNewApiKey({ environmentId: env.id, type: "SECRET" })).data;
    assert.match(fresh.rawKey, ID.secretKey);
    assert.equal(await currentEnvironmentId(fresh.rawKey), env.id, "the new key works");
    assert.equal(await currentEnvironmentId(old.rawKey), env.id, "the old key still works");

    assert.deepEqual(await api.auth.deleteApiKey({ environmentId: env.id, key: old.id }), {
      data: { success: true },
    });
    await expectHttpError(client(old.rawKey).environments.get("current"), { status: 401, key: "revoked" });
    assert.equal(await currentEnvironmentId(fresh.rawKey), env.id);
    const secrets = (await api.auth.getApiKeys({ environmentId: env.id })).data.filter((k) => k.type === "SECRET");
    assert.deepEqual(
      secrets.map((k) => k.id),
      [fresh.id],
    );
  });
});

describe("auth.listPersonalAccessTokens", () => {
  test("lists the caller's PATs without their raw tokens", async () => {
    const admin = await adminClient();
    const a = await createPat(admin, uniqueName("list-a"));
    const b = await createPat(admin, uniqueName("list-b"));
    const response = await admin.auth.listPersonalAccessTokens();
    assert.ok(Array.isArray(response.data));
    assert.equal("pagination" in response, false, "the PAT list has no pagination object");
    response.data.forEach(assertPatShape);
    for (const created of [a, b]) {
      const pat = response.data.find((t) => t.id === created.personalAccessToken.id);
      assert.ok(pat, `${created.personalAccessToken.id} is listed`);
      assert.equal(pat.name, created.personalAccessToken.name);
      assert.equal(pat.createdAt.getTime(), created.personalAccessToken.createdAt.getTime());
    }
    const raw = JSON.stringify(response);
    assert.equal(raw.includes(a.token) || raw.includes(b.token), false, "no raw token in the list");
    assert.equal(raw.includes(`"pat_`), false, "nothing that looks like a raw token in the list");
  });

  test("lastUsedAt appears right after the PAT is used (pending uses are merged in)", async () => {
    const admin = await adminClient();
    const { token, personalAccessToken: pat } = await createPat(admin);
    assert.equal((await listed(admin, pat.id)).lastUsedAt, undefined);
    await client(token).environments.list();
    const used = await listed(admin, pat.id);
    assert.ok(used.lastUsedAt instanceof Date, "lastUsedAt is listed at once, as a Date");
    assert.ok(used.lastUsedAt.getTime() >= pat.createdAt.getTime(), "lastUsedAt is not before createdAt");
    assert.ok(Math.abs(Date.now() - used.lastUsedAt.getTime()) < 24 * 3600 * 1000, "lastUsedAt is about now");

    // It is kept to the minute: another use within the minute leaves it where it is (the API
    // suite moves the dev clock a minute on to see it advance).
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client(token).environments.list();
    const again = await listed(admin, pat.id);
    assert.equal(again.lastUsedAt.getTime(), used.lastUsedAt.getTime(), "a use in the same minute keeps lastUsedAt");
  });

  test("a user sees only their own PATs", async () => {
    const admin = await adminClient();
    const adminPat = await createPat(admin);
    const member = await inviteUser({ prefix: "pat-list" });
    const memberPat = await createPat(member.sdk);
    const mine = (await member.sdk.auth.listPersonalAccessTokens()).data.map((t) => t.id);
    assert.deepEqual(mine, [memberPat.personalAccessToken.id]);
    const adminIds = (await admin.auth.listPersonalAccessTokens()).data.map((t) => t.id);
    assert.ok(adminIds.includes(adminPat.personalAccessToken.id));
    assert.equal(adminIds.includes(memberPat.personalAccessToken.id), false, "not the member's");
  });

  test("the PAT itself may list its user's PATs", async () => {
    const { token, personalAccessToken: pat } = await createPat(await adminClient());
    const ids = (await client(token).auth.listPersonalAccessTokens()).data.map((t) => t.id);
    assert.ok(ids.includes(pat.id));
  });
});

describe("auth.deletePersonalAccessToken", () => {
  test("answers Success; the very next request with the PAT is a 401 with key revoked", async () => {
    const admin = await adminClient();
    const { token, personalAccessToken: pat } = await createPat(admin);
    assert.ok(Array.isArray((await client(token).environments.list()).data), "the PAT works before");
    assert.deepEqual(await admin.auth.deletePersonalAccessToken(pat.id), { data: { success: true } });
    await expectHttpError(client(token).environments.list(), {
      status: 401,
      key: "revoked",
      message: /^Unauthorized/,
    });
    assert.equal(await listed(admin, pat.id), undefined, "no longer listed");
    const { body } = await http("GET", "/v1/latchkey/whoami", { token });
    assert.deepEqual([body.data.valid, body.data.reason], [false, "revoked"]);
  });

  test("a PAT may delete itself", async () => {
    const { token, personalAccessToken: pat } = await createPat(await adminClient());
    assert.deepEqual(await client(token).auth.deletePersonalAccessToken(pat.id), { data: { success: true } });
    await expectHttpError(client(token).auth.listPersonalAccessTokens(), { status: 401, key: "revoked" });
  });

  test("deleting twice, or an unknown id, is a 404 NotFoundError; a malformed id is a 400", async () => {
    const admin = await adminClient();
    const { personalAccessToken: pat } = await createPat(admin);
    await admin.auth.deletePersonalAccessToken(pat.id);
    await expectHttpError(admin.auth.deletePersonalAccessToken(pat.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.auth.deletePersonalAccessToken("us_pat_zzzzzzzz"), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    await expectHttpError(admin.auth.deletePersonalAccessToken("not-a-pat-id"), {
      type: Flatfile.BadRequestError,
      status: 400,
    });
  });

  test("a Member cannot delete the Administrator's PAT (403) and it keeps working", async () => {
    const { token, personalAccessToken: pat } = await createPat(await adminClient());
    const member = await inviteUser({ prefix: "pat-del" });
    await expectHttpError(member.sdk.auth.deletePersonalAccessToken(pat.id), {
      status: 403,
    });
    assert.ok(Array.isArray((await client(token).environments.list()).data));
  });

  test("an Administrator may delete a Member's PAT", async () => {
    const admin = await adminClient();
    const member = await inviteUser({ prefix: "pat-admin-del" });
    const { token, personalAccessToken: pat } = await createPat(member.sdk);
    assert.ok(Array.isArray((await client(token).environments.list()).data));
    assert.deepEqual(await admin.auth.deletePersonalAccessToken(pat.id), { data: { success: true } });
    await expectHttpError(client(token).environments.list(), { status: 401, key: "revoked" });
  });
});
