// Secrets through the SDK: secrets.upsert/list/delete, environment and space scopes (a space's
// secrets override the environment's of the same name), and who may read them.
//
// Secrets live in the test's own environment and go with it when the hook deletes it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  ID,
  adminClient,
  client,
  createEnvironment,
  createPat,
  createSpace,
  expectHttpError,
  installHooks,
  inviteUser,
  uniqueName,
} from "./helpers.mjs";

installHooks();

async function upsert(request, sdk = undefined) {
  const api = sdk ?? (await adminClient());
  const response = await api.secrets.upsert(request);
  assert.ok(Array.isArray(response.data), "upsert answers a list");
  assert.equal(response.data.length, 1, "with the written secret only");
  return response.data[0];
}

/** {name: value} of a secrets list, to compare without caring about ids. */
function values(secrets) {
  return Object.fromEntries(secrets.map((s) => [s.name, s.value]));
}

describe("secrets.upsert", () => {
  test("{name, value, environmentId}: {data: [Secret]} with the plaintext value", async () => {
    const { env } = await createEnvironment("sec-env");
    const secret = await upsert({ name: "API_TOKEN", value: "s3cr3t value", environmentId: env.id });
    assert.match(secret.id, ID.secret);
    assert.equal(secret.name, "API_TOKEN");
    assert.equal(secret.value, "s3cr3t value");
    assert.equal(secret.environmentId, env.id);
    assert.equal(secret.spaceId, undefined);
  });

  test("{name, value, spaceId}: a space secret in the space's environment", async () => {
    const { env } = await createEnvironment("sec-space");
    const space = await createSpace(env.id);
    const secret = await upsert({ name: "API_TOKEN", value: "space value", spaceId: space.id });
    assert.match(secret.id, ID.secret);
    assert.equal(secret.spaceId, space.id);
    assert.equal(secret.environmentId, env.id);
    assert.equal(secret.value, "space value");
  });

  test("upserting the same name again changes only the value (same id)", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sec-again");
    const space = await createSpace(env.id);
    const first = await upsert({ name: "KEY", value: "one", environmentId: env.id });
    const second = await upsert({ name: "KEY", value: "two", environmentId: env.id });
    assert.equal(second.id, first.id);
    assert.equal(second.value, "two");
    assert.deepEqual(values((await admin.secrets.list({ environmentId: env.id })).data), { KEY: "two" });

    // The same name in a space is a different secret, and upserts on its own.
    const inSpace = await upsert({ name: "KEY", value: "three", spaceId: space.id });
    assert.notEqual(inSpace.id, first.id);
    const inSpaceAgain = await upsert({ name: "KEY", value: "four", spaceId: space.id });
    assert.equal(inSpaceAgain.id, inSpace.id);
    assert.deepEqual(values((await admin.secrets.list({ environmentId: env.id })).data), { KEY: "two" });
  });

  test("an environment's secret key writes into its own environment without environmentId", async () => {
    const admin = await adminClient();
    const { env, secret: key } = await createEnvironment("sec-sk");
    const secret = await upsert({ name: "FROM_KEY", value: "v" }, client(key.rawKey));
    assert.equal(secret.environmentId, env.id);
    assert.deepEqual(values((await admin.secrets.list({ environmentId: env.id })).data), { FROM_KEY: "v" });
    assert.deepEqual(values((await client(key.rawKey).secrets.list()).data), { FROM_KEY: "v" });
  });

  test("an empty value is refused (422, FlatfileError) and nothing is stored", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sec-empty");
    await expectHttpError(admin.secrets.upsert({ name: "EMPTY", value: "", environmentId: env.id }), {
      status: 422,
      key: "value",
    });
    assert.deepEqual((await admin.secrets.list({ environmentId: env.id })).data, []);
  });
});

describe("secrets.list", () => {
  test("{environmentId}: the environment's secrets only, sorted by name", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sec-list");
    const other = await createEnvironment("sec-list-other");
    const space = await createSpace(env.id);
    await upsert({ name: "ZETA", value: "z", environmentId: env.id });
    await upsert({ name: "ALPHA", value: "a", environmentId: env.id });
    await upsert({ name: "SPACE_ONLY", value: "s", spaceId: space.id });
    await upsert({ name: "ALPHA", value: "elsewhere", environmentId: other.env.id });
    const listed = (await admin.secrets.list({ environmentId: env.id })).data;
    assert.deepEqual(
      listed.map((s) => [s.name, s.value]),
      [
        ["ALPHA", "a"],
        ["ZETA", "z"],
      ],
    );
    for (const secret of listed) {
      assert.match(secret.id, ID.secret);
      assert.equal(secret.environmentId, env.id);
    }
  });

  test("{spaceId} applies space overrides: the space's value wins for the same name", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sec-override");
    const space = await createSpace(env.id);
    const otherSpace = await createSpace(env.id);
    const envSecret = await upsert({ name: "SHARED", value: "env", environmentId: env.id });
    await upsert({ name: "ENV_ONLY", value: "e", environmentId: env.id });
    const spaceSecret = await upsert({ name: "SHARED", value: "space", spaceId: space.id });
    await upsert({ name: "SPACE_ONLY", value: "s", spaceId: space.id });

    const inSpace = (await admin.secrets.list({ spaceId: space.id })).data;
    assert.deepEqual(values(inSpace), { ENV_ONLY: "e", SHARED: "space", SPACE_ONLY: "s" });
    assert.equal(inSpace.length, 3, "the overridden environment secret is not listed as well");
    assert.equal(inSpace.find((s) => s.name === "SHARED").id, spaceSecret.id);
    // Both ids together work the same.
    assert.deepEqual(values((await admin.secrets.list({ environmentId: env.id, spaceId: space.id })).data), values(inSpace));

    // Another space sees the environment's value.
    const inOther = (await admin.secrets.list({ spaceId: otherSpace.id })).data;
    assert.deepEqual(values(inOther), { ENV_ONLY: "e", SHARED: "env" });
    assert.equal(inOther.find((s) => s.name === "SHARED").id, envSecret.id);
  });

  test("a space of another environment next to environmentId is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    const a = await createEnvironment("sec-mismatch-a");
    const b = await createEnvironment("sec-mismatch-b");
    const space = await createSpace(b.env.id);
    await expectHttpError(admin.secrets.list({ environmentId: a.env.id, spaceId: space.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });
});

describe("secrets.delete", () => {
  test("answers {data: Secret[]}: the secrets left in that scope; the secret is gone", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sec-delete");
    const space = await createSpace(env.id);
    const doomed = await upsert({ name: "DOOMED", value: "d", environmentId: env.id });
    const kept = await upsert({ name: "KEPT", value: "k", environmentId: env.id });
    await upsert({ name: "IN_SPACE", value: "s", spaceId: space.id });

    const response = await admin.secrets.delete(doomed.id);
    assert.ok(Array.isArray(response.data), "delete answers a list, not Success");
    assert.deepEqual(
      response.data.map((s) => [s.id, s.name, s.value]),
      [[kept.id, "KEPT", "k"]],
      "the environment's remaining secrets, without the space's",
    );
    assert.deepEqual(values((await admin.secrets.list({ environmentId: env.id })).data), { KEPT: "k" });
    await expectHttpError(admin.secrets.delete(doomed.id), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("deleting a space override brings the environment's value back in that space", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sec-delete-space");
    const space = await createSpace(env.id);
    await upsert({ name: "SHARED", value: "env", environmentId: env.id });
    const override = await upsert({ name: "SHARED", value: "space", spaceId: space.id });
    const other = await upsert({ name: "OTHER", value: "o", spaceId: space.id });

    const remaining = (await admin.secrets.delete(override.id)).data;
    assert.deepEqual(
      remaining.map((s) => [s.id, s.spaceId]),
      [[other.id, space.id]],
      "the space's remaining secrets",
    );
    assert.deepEqual(values((await admin.secrets.list({ spaceId: space.id })).data), { OTHER: "o", SHARED: "env" });
  });

  test("an unknown secret is a 404 NotFoundError; a malformed id a 400 BadRequestError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.secrets.delete("us_sec_zzzzzzzz"), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.secrets.delete("nope"), { type: Flatfile.BadRequestError, status: 400 });
  });
});

describe("who may use secrets", () => {
  test("a Member's login token and PAT get 403 (plain FlatfileError) for list, upsert and delete", async () => {
    const { env } = await createEnvironment("sec-member");
    const secret = await upsert({ name: "HIDDEN", value: "h", environmentId: env.id });
    const member = await inviteUser({ prefix: "sec-member" });
    const pat = await createPat(member.sdk, uniqueName("sec-pat"));
    for (const api of [member.sdk, client(pat.token)]) {
      await expectHttpError(api.secrets.list({ environmentId: env.id }), {
        status: 403,
        message: /Administrator or the environment's secret key/,
      });
      await expectHttpError(api.secrets.upsert({ name: "X", value: "x", environmentId: env.id }), { status: 403 });
      await expectHttpError(api.secrets.delete(secret.id), { status: 403 });
    }
    const admin = await adminClient();
    assert.deepEqual(values((await admin.secrets.list({ environmentId: env.id })).data), { HIDDEN: "h" });
  });

  test("the other environment's secret key gets 404 NotFoundError and changes nothing", async () => {
    const admin = await adminClient();
    const a = await createEnvironment("sec-iso-a");
    const b = await createEnvironment("sec-iso-b");
    const space = await createSpace(b.env.id);
    const secret = await upsert({ name: "B_ONLY", value: "b", environmentId: b.env.id });
    const foreign = client(a.secret.rawKey);
    const notFound = { type: Flatfile.NotFoundError, status: 404 };
    await expectHttpError(foreign.secrets.list({ environmentId: b.env.id }), notFound);
    await expectHttpError(foreign.secrets.list({ spaceId: space.id }), notFound);
    await expectHttpError(foreign.secrets.upsert({ name: "B_ONLY", value: "mine", environmentId: b.env.id }), notFound);
    await expectHttpError(foreign.secrets.upsert({ name: "SNEAKY", value: "x", spaceId: space.id }), notFound);
    await expectHttpError(foreign.secrets.delete(secret.id), notFound);
    assert.deepEqual((await foreign.secrets.list()).data, [], "its own environment has none");
    assert.deepEqual(values((await admin.secrets.list({ environmentId: b.env.id })).data), { B_ONLY: "b" });
  });

  test("a publishable key gets 403", async () => {
    const { env, publishable } = await createEnvironment("sec-pk");
    await expectHttpError(client(publishable.rawKey).secrets.list({ environmentId: env.id }), { status: 403 });
  });
});
