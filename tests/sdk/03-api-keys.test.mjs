// client.auth API-key methods: getApiKeys, getPublishableKey, createNewApiKey, deleteApiKey,
// and the zero-downtime rotation a Flatfile user does with them.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  ID,
  adminClient,
  adminToken,
  client,
  createEnvironment,
  currentEnvironmentId,
  expectHttpError,
  installHooks,
  http,
} from "./helpers.mjs";

installHooks();

function assertKeyShape(key, { environmentId, type }) {
  assert.match(key.id, ID.key);
  assert.equal(key.type, type);
  assert.match(key.rawKey, type === "SECRET" ? ID.secretKey : ID.publishableKey);
  assert.equal(key.environmentId, environmentId);
  assert.match(key.accountId, ID.account);
  assert.ok(Array.isArray(key.operations), "operations is an array");
  assert.ok(key.createdAt instanceof Date, "the SDK turned createdAt into a Date");
  assert.ok(!Number.isNaN(key.createdAt.getTime()), "createdAt is a valid date");
  assert.ok(Math.abs(Date.now() - key.createdAt.getTime()) < 24 * 3600 * 1000, "createdAt is about now");
  if (key.updatedAt !== undefined) assert.ok(key.updatedAt instanceof Date, "updatedAt is a Date");
}

describe("auth.getApiKeys", () => {
  test("lists the environment's keys with raw values, types, operations and dates", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("keys");
    const keys = (await admin.auth.getApiKeys({ environmentId: env.id })).data;
    assert.equal(keys.length, 2);
    const secret = keys.find((k) => k.type === "SECRET");
    const publishable = keys.find((k) => k.type === "PUBLISHABLE");
    assertKeyShape(secret, { environmentId: env.id, type: "SECRET" });
    assertKeyShape(publishable, { environmentId: env.id, type: "PUBLISHABLE" });
    assert.deepEqual(secret.operations, []);
    assert.ok(publishable.operations.length > 0, "a publishable key has an allow-list");
    for (const op of publishable.operations) {
      assert.equal(typeof op.path, "string");
      assert.equal(typeof op.method, "string");
    }
    assert.ok(
      publishable.operations.some((op) => op.method === "POST" && op.path === "/v1/spaces"),
      "a publishable key may create a space",
    );
    assert.notEqual(secret.id, publishable.id);
    assert.notEqual(secret.rawKey, publishable.rawKey);
  });

  test("each environment has its own keys", async () => {
    const admin = await adminClient();
    const a = await createEnvironment("keys-a");
    const b = await createEnvironment("keys-b");
    const keysA = (await admin.auth.getApiKeys({ environmentId: a.env.id })).data.map((k) => k.id);
    const keysB = (await admin.auth.getApiKeys({ environmentId: b.env.id })).data.map((k) => k.id);
    assert.equal(keysA.filter((id) => keysB.includes(id)).length, 0);
  });

  test("a secret key asking for the key list is refused with 403", async () => {
    const { env, secret } = await createEnvironment("keys-sk");
    // getApiKeys maps only 400 and 404 to typed errors, so a 403 is a plain FlatfileError.
    await expectHttpError(client(secret.rawKey).auth.getApiKeys({ environmentId: env.id }), {
      status: 403,
      message: /Administrator/,
    });
  });

  test("a secret key asking for another environment's keys gets 404 NotFoundError", async () => {
    const a = await createEnvironment("keys-iso-a");
    const b = await createEnvironment("keys-iso-b");
    await expectHttpError(client(a.secret.rawKey).auth.getApiKeys({ environmentId: b.env.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("an unknown environment is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.auth.getApiKeys({ environmentId: "us_env_zzzzzzzz" }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("a malformed environment id is a 400 BadRequestError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.auth.getApiKeys({ environmentId: "nope" }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "environmentId",
    });
  });
});

describe("auth.getPublishableKey", () => {
  test("returns the environment's publishable key", async () => {
    const admin = await adminClient();
    const { env, publishable } = await createEnvironment("pk");
    const got = (await admin.auth.getPublishableKey({ environmentId: env.id })).data;
    assertKeyShape(got, { environmentId: env.id, type: "PUBLISHABLE" });
    assert.equal(got.id, publishable.id);
    assert.equal(got.rawKey, publishable.rawKey);
  });

  test("the environment's own secret key may read it", async () => {
    const { env, secret, publishable } = await createEnvironment("pk-sk");
    const got = (await client(secret.rawKey).auth.getPublishableKey({ environmentId: env.id })).data;
    assert.equal(got.id, publishable.id);
  });

  test("another environment's secret key gets 404 NotFoundError", async () => {
    const a = await createEnvironment("pk-iso-a");
    const b = await createEnvironment("pk-iso-b");
    await expectHttpError(client(a.secret.rawKey).auth.getPublishableKey({ environmentId: b.env.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("after the publishable key is deleted it is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    const { env, publishable } = await createEnvironment("pk-gone");
    await admin.auth.deleteApiKey({ environmentId: env.id, key: publishable.id });
    await expectHttpError(admin.auth.getPublishableKey({ environmentId: env.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });
});

describe("auth.createNewApiKey", () => {
  test("SECRET: answers {data:[newKey]} with a working raw key", async () => {
    const admin = await adminClient();
    const { env, secret } = await createEnvironment("new-sk");
    const response = await admin.auth.createNewApiKey({ environmentId: env.id, type: "SECRET" });
    assert.ok(Array.isArray(response.data));
    assert.equal(response.data.length, 1, "only the new key is returned");
    const [created] = response.data;
    assertKeyShape(created, { environmentId: env.id, type: "SECRET" });
    assert.notEqual(created.id, secret.id);
    assert.notEqual(created.rawKey, secret.rawKey);
    assert.equal(await currentEnvironmentId(created.rawKey), env.id);
    const ids = (await admin.auth.getApiKeys({ environmentId: env.id })).data.map((k) => k.id);
    assert.equal(ids.length, 3);
    assert.ok(ids.includes(created.id), "the new key is listed");
  });

  test("PUBLISHABLE: a new publishable key with the default allow-list", async () => {
    const admin = await adminClient();
    const { env, publishable } = await createEnvironment("new-pk");
    const [created] = (await admin.auth.createNewApiKey({ environmentId: env.id, type: "PUBLISHABLE" })).data;
    assertKeyShape(created, { environmentId: env.id, type: "PUBLISHABLE" });
    assert.deepEqual(created.operations, publishable.operations);
  });

  test("an unknown or missing type is a 400 naming type", async () => {
    // The SDK refuses unknown enum values before sending (JsonError), so send these raw.
    const { env } = await createEnvironment("new-bad");
    const accessToken = await adminToken();
    for (const query of [`environmentId=${env.id}&type=ROOT`, `environmentId=${env.id}`]) {
      const { status, body } = await http("POST", `/v1/auth/api-key?${query}`, { token: accessToken });
      assert.equal(status, 400, `${query}: ${JSON.stringify(body)}`);
      assert.equal(body.errors[0].key, "type");
    }
  });

  test("a secret key may not create keys (403)", async () => {
    const { env, secret } = await createEnvironment("new-by-sk");
    await expectHttpError(client(secret.rawKey).auth.createNewApiKey({ environmentId: env.id, type: "SECRET" }), {
      status: 403,
    });
  });

  test("a deleted environment is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("new-gone");
    await admin.environments.delete(env.id);
    await expectHttpError(admin.auth.createNewApiKey({ environmentId: env.id, type: "SECRET" }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });
});

describe("auth.deleteApiKey", () => {
  test("deletes by us_key_ id: {data:{success:true}}, then the key is refused and unlisted", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("del");
    const [extra] = (await admin.auth.createNewApiKey({ environmentId: env.id, type: "SECRET" })).data;
    assert.equal(await currentEnvironmentId(extra.rawKey), env.id);
    const result = await admin.auth.deleteApiKey({ environmentId: env.id, key: extra.id });
    assert.deepEqual(result, { data: { success: true } });
    await expectHttpError(client(extra.rawKey).environments.get("current"), { status: 401 });
    const ids = (await admin.auth.getApiKeys({ environmentId: env.id })).data.map((k) => k.id);
    assert.equal(ids.includes(extra.id), false);
  });

  test("the raw key value is accepted in place of the id", async () => {
    const admin = await adminClient();
    const { env, secret } = await createEnvironment("del-raw");
    await admin.auth.deleteApiKey({ environmentId: env.id, key: secret.rawKey });
    await expectHttpError(client(secret.rawKey).environments.get("current"), { status: 401 });
  });

  test("an unknown key id is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("del-unknown");
    await expectHttpError(admin.auth.deleteApiKey({ environmentId: env.id, key: "us_key_zzzzzzzz" }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("a key named under the wrong environment is a 404 NotFoundError and survives", async () => {
    const admin = await adminClient();
    const a = await createEnvironment("del-wrong-a");
    const b = await createEnvironment("del-wrong-b");
    await expectHttpError(admin.auth.deleteApiKey({ environmentId: b.env.id, key: a.secret.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    assert.equal(await currentEnvironmentId(a.secret.rawKey), a.env.id);
  });

  test("a secret key may not delete keys, not even itself (403)", async () => {
    const { env, secret } = await createEnvironment("del-by-sk");
    await expectHttpError(client(secret.rawKey).auth.deleteApiKey({ environmentId: env.id, key: secret.id }), {
      status: 403,
    });
    assert.equal(await currentEnvironmentId(secret.rawKey), env.id);
  });
});

describe("zero-downtime secret key rotation with the SDK", () => {
  test("create new, both work, delete old, only new works", async () => {
    const admin = await adminClient();
    const { env, secret: old } = await createEnvironment("rotate");

    const [fresh] = (await admin.auth.createNewApiKey({ environmentId: env.id, type: "SECRET" })).data;
    assert.match(fresh.rawKey, ID.secretKey);

    // Both keys work while the deployment switches over.
    assert.equal(await currentEnvironmentId(old.rawKey), env.id);
    assert.equal(await currentEnvironmentId(fresh.rawKey), env.id);

    assert.deepEqual(await admin.auth.deleteApiKey({ environmentId: env.id, key: old.id }), {
      data: { success: true },
    });

    await expectHttpError(client(old.rawKey).environments.get("current"), { status: 401, message: /^Unauthorized/ });
    assert.equal(await currentEnvironmentId(fresh.rawKey), env.id);

    const keys = (await admin.auth.getApiKeys({ environmentId: env.id })).data;
    const secrets = keys.filter((k) => k.type === "SECRET");
    assert.deepEqual(
      secrets.map((k) => k.id),
      [fresh.id],
    );
  });
});
