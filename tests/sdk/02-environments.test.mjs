// client.environments: list, create, get (and "current"), update, delete.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  ID,
  adminClient,
  adminToken,
  client,
  createEnvironment,
  expectHttpError,
  installHooks,
  http,
  trackEnvironment,
  uniqueName,
} from "./helpers.mjs";

installHooks();

function assertEnvironmentShape(env) {
  assert.match(env.id, ID.environment);
  assert.match(env.accountId, ID.account);
  assert.equal(typeof env.name, "string");
  assert.equal(typeof env.isProd, "boolean");
  assert.ok(Array.isArray(env.guestAuthentication));
  assert.equal(typeof env.features, "object");
  assert.equal(typeof env.metadata, "object");
}

describe("environments.list", () => {
  test("lists every environment with a pagination object", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("list");
    const all = await admin.environments.list({ pageSize: 100 });
    assert.ok(Array.isArray(all.data));
    all.data.forEach(assertEnvironmentShape);
    const names = all.data.map((e) => e.name);
    assert.ok(names.includes("development"), "the bootstrap development environment is listed");
    assert.ok(names.includes("production"), "the bootstrap production environment is listed");
    assert.ok(all.data.some((e) => e.id === env.id), "a newly created environment is listed");
    assert.deepEqual(all.pagination, { currentPage: 1, pageCount: 1, totalCount: all.data.length });
  });

  test("pageSize and pageNumber page through the list", async () => {
    const admin = await adminClient();
    await createEnvironment("page");
    const total = (await admin.environments.list({ pageSize: 100 })).pagination.totalCount;
    assert.ok(total >= 3);

    const first = await admin.environments.list({ pageSize: 1, pageNumber: 1 });
    assert.equal(first.data.length, 1);
    assert.deepEqual(first.pagination, { currentPage: 1, pageCount: total, totalCount: total });

    const second = await admin.environments.list({ pageSize: 1, pageNumber: 2 });
    assert.equal(second.data.length, 1);
    assert.equal(second.pagination.currentPage, 2);
    assert.notEqual(second.data[0].id, first.data[0].id, "page 2 holds a different environment");

    const beyond = await admin.environments.list({ pageSize: 1, pageNumber: total + 1 });
    assert.deepEqual(beyond.data, []);
    assert.equal(beyond.pagination.totalCount, total);
  });

  test("the default page size is 10", async () => {
    const admin = await adminClient();
    const page = await admin.environments.list();
    assert.ok(page.data.length <= 10);
    assert.equal(page.data.length, Math.min(10, page.pagination.totalCount));
  });

  test("pageSize 0 is refused with 422 (no typed error for this endpoint)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.environments.list({ pageSize: 0 }), { status: 422, key: "pageSize" });
  });

  test("a secret key sees only its own environment", async () => {
    const { env, secret } = await createEnvironment("list-sk");
    const list = await client(secret.rawKey).environments.list({ pageSize: 100 });
    assert.deepEqual(
      list.data.map((e) => e.id),
      [env.id],
    );
    assert.equal(list.pagination.totalCount, 1);
  });
});

describe("environments.create", () => {
  test("creates the environment with a SECRET and a PUBLISHABLE key of its own", async () => {
    const admin = await adminClient();
    const name = uniqueName("create");
    const created = await admin.environments.create({ name, isProd: true });
    const env = created.data;
    trackEnvironment(env.id);
    assertEnvironmentShape(env);
    assert.equal(env.name, name);
    assert.equal(env.isProd, true);
    assert.deepEqual([...env.guestAuthentication].sort(), ["magic_link", "shared_link"]);
    assert.deepEqual(env.metadata, {});

    const keys = (await admin.auth.getApiKeys({ environmentId: env.id })).data;
    assert.deepEqual(keys.map((k) => k.type).sort(), ["PUBLISHABLE", "SECRET"]);
    for (const key of keys) {
      assert.equal(key.environmentId, env.id);
      assert.equal(key.accountId, env.accountId);
    }
    const secret = keys.find((k) => k.type === "SECRET");
    assert.equal((await client(secret.rawKey).environments.get("current")).data.id, env.id);
  });

  test("optional fields are stored and returned", async () => {
    const admin = await adminClient();
    const env = (
      await admin.environments.create({
        name: uniqueName("fields"),
        isProd: false,
        guestAuthentication: ["magic_link"],
        metadata: { team: "data", tier: 2 },
        namespaces: ["orders"],
        translationsPath: "https://example.com/t.json",
        languageOverride: "de",
      })
    ).data;
    trackEnvironment(env.id);
    assert.deepEqual(env.guestAuthentication, ["magic_link"]);
    assert.deepEqual(env.metadata, { team: "data", tier: 2 });
    assert.deepEqual(env.namespaces, ["orders"]);
    assert.equal(env.translationsPath, "https://example.com/t.json");
    assert.equal(env.languageOverride, "de");
    const again = (await admin.environments.get(env.id)).data;
    assert.deepEqual(again, env);
  });

  test("an unknown guestAuthentication value is a 400 naming it", async () => {
    // The SDK refuses unknown enum values before sending (JsonError), so send this one raw.
    const accessToken = await adminToken();
    const { status, body } = await http("POST", "/v1/environments", {
      token: accessToken,
      json: { name: uniqueName("bad-guest"), isProd: false, guestAuthentication: ["carrier_pigeon"] },
    });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "guestAuthentication");
  });

  test("missing isProd is a 400 naming it", async () => {
    const accessToken = await adminToken();
    const { status, body } = await http("POST", "/v1/environments", {
      token: accessToken,
      json: { name: uniqueName("no-prod") },
    });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "isProd");
  });

  test("a secret key may not create environments (403)", async () => {
    const { secret } = await createEnvironment("create-sk");
    await expectHttpError(client(secret.rawKey).environments.create({ name: uniqueName("nope"), isProd: false }), {
      status: 403,
    });
  });
});

describe("environments.get", () => {
  test("gets an environment by id", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("get");
    const got = await admin.environments.get(env.id);
    assert.deepEqual(got.data, env);
  });

  test('"current" with a secret key is that key\'s environment', async () => {
    const { env, secret } = await createEnvironment("current");
    const got = await client(secret.rawKey).environments.get("current");
    assert.equal(got.data.id, env.id);
    assert.equal(got.data.name, env.name);
  });

  test('"current" with a user token is a 400 BadRequestError', async () => {
    const admin = await adminClient();
    await expectHttpError(admin.environments.get("current"), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "environmentId",
    });
  });

  test("an unknown id is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.environments.get("us_env_zzzzzzzz"), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("a malformed id is a 400 BadRequestError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.environments.get("not an id"), { type: Flatfile.BadRequestError, status: 400 });
  });

  test("a secret key of environment A asking for environment B is a 404 NotFoundError", async () => {
    const a = await createEnvironment("iso-a");
    const b = await createEnvironment("iso-b");
    await expectHttpError(client(a.secret.rawKey).environments.get(b.env.id), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    // …and B's own key still reads B.
    assert.equal((await client(b.secret.rawKey).environments.get(b.env.id)).data.id, b.env.id);
  });

  test("a publishable key may not read the environment (403)", async () => {
    const { publishable } = await createEnvironment("get-pk");
    await expectHttpError(client(publishable.rawKey).environments.get("current"), { status: 403 });
  });
});

describe("environments.update", () => {
  test("returns the bare Environment (no data envelope)", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("update");
    const name = uniqueName("renamed");
    const updated = await admin.environments.update(env.id, { name });
    assert.equal("data" in updated, false, "update answers a bare Environment");
    assertEnvironmentShape(updated);
    assert.equal(updated.id, env.id);
    assert.equal(updated.name, name);
    assert.equal(updated.isProd, env.isProd, "fields not sent are left alone");
    assert.deepEqual(updated.guestAuthentication, env.guestAuthentication);
    assert.equal((await admin.environments.get(env.id)).data.name, name, "the change is stored");
  });

  test("changes isProd and metadata", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("update2");
    const updated = await admin.environments.update(env.id, { isProd: true, metadata: { owner: "ops" } });
    assert.equal(updated.isProd, true);
    assert.deepEqual(updated.metadata, { owner: "ops" });
    assert.equal(updated.name, env.name);
  });

  test("an unknown id is a 404 (FlatfileError: update maps no statuses)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.environments.update("us_env_zzzzzzzz", { name: "x" }), { status: 404 });
  });

  test("a secret key may not update its environment (403)", async () => {
    const { env, secret } = await createEnvironment("update-sk");
    await expectHttpError(client(secret.rawKey).environments.update(env.id, { name: "x" }), { status: 403 });
  });
});

describe("environments.delete", () => {
  test("answers {data:{success:true}} and the environment is gone", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("delete");
    const result = await admin.environments.delete(env.id);
    assert.deepEqual(result, { data: { success: true } });
    await expectHttpError(admin.environments.get(env.id), { type: Flatfile.NotFoundError, status: 404 });
    const list = await admin.environments.list({ pageSize: 100 });
    assert.equal(list.data.some((e) => e.id === env.id), false, "no longer listed");
  });

  test("the deleted environment's keys are refused with 401", async () => {
    const admin = await adminClient();
    const { env, secret, publishable } = await createEnvironment("delete-keys");
    assert.equal((await client(secret.rawKey).environments.get("current")).data.id, env.id);
    await admin.environments.delete(env.id);
    await expectHttpError(client(secret.rawKey).environments.get("current"), { status: 401 });
    await expectHttpError(client(publishable.rawKey).environments.list(), { status: 401 });
  });

  test("deleting twice is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("delete-twice");
    await admin.environments.delete(env.id);
    await expectHttpError(admin.environments.delete(env.id), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("a secret key may not delete its environment (403) and it survives", async () => {
    const admin = await adminClient();
    const { env, secret } = await createEnvironment("delete-sk");
    await expectHttpError(client(secret.rawKey).environments.delete(env.id), { status: 403 });
    assert.equal((await admin.environments.get(env.id)).data.id, env.id);
  });
});
