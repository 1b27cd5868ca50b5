// Latchkey's own timed rotation (not in the SDK, so plain fetch), checked with SDK clients.
// Nothing here moves the clock: see 99-clock.test.mjs for the grace period running out.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
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

function rotate(keyId, expiresInSeconds, bearer) {
  return http("POST", `/v1/latchkey/api-keys/${encodeURIComponent(keyId)}/rotate`, {
    token: bearer,
    json: { expiresInSeconds },
  });
}

describe("POST /v1/latchkey/api-keys/{keyId}/rotate", () => {
  test("answers the new key and the old one expiring; both keys work during the grace", async () => {
    const admin = await adminClient();
    const { env, secret: old } = await createEnvironment("timed");
    const before = Date.now();
    const { status, body } = await rotate(old.id, 3600, await adminToken());
    assert.equal(status, 200, JSON.stringify(body));

    const { key, previous } = body.data;
    assert.match(key.id, ID.key);
    assert.notEqual(key.id, old.id);
    assert.match(key.rawKey, ID.secretKey);
    assert.notEqual(key.rawKey, old.rawKey);
    assert.equal(key.type, "SECRET");
    assert.equal(key.environmentId, env.id);
    assert.equal(key.state, "active");
    assert.deepEqual(key.operations, old.operations);

    assert.equal(previous.id, old.id);
    assert.equal(previous.state, "expiring");
    assert.equal(previous.replacedBy, key.id);
    assert.match(previous.expiresAt, ID.isoMillis);
    const grace = Date.parse(previous.expiresAt) - before;
    assert.ok(grace > 3590_000 && grace < 3610_000 + 4 * 3600_000, `expiresAt about an hour ahead (${grace} ms)`);

    assert.equal(await currentEnvironmentId(old.rawKey), env.id, "the old key works during the grace");
    assert.equal(await currentEnvironmentId(key.rawKey), env.id, "the new key works at once");

    // The SDK sees both, with Latchkey's extra fields passed through.
    const keys = (await admin.auth.getApiKeys({ environmentId: env.id })).data;
    const listedOld = keys.find((k) => k.id === old.id);
    const listedNew = keys.find((k) => k.id === key.id);
    assert.ok(listedOld && listedNew, "both keys are listed during the grace");
    assert.equal(listedOld.state, "expiring");
    assert.equal(listedOld.expiresAt, previous.expiresAt);
    assert.equal(listedNew.state, "active");
    assert.equal(listedNew.rawKey, key.rawKey);
  });

  test("expiresInSeconds 0 stops the old key at once", async () => {
    const { env, secret: old } = await createEnvironment("timed-now");
    const { status, body } = await rotate(old.id, 0, await adminToken());
    assert.equal(status, 200, JSON.stringify(body));
    await expectHttpError(client(old.rawKey).environments.get("current"), { status: 401, key: "rotated-grace-ended" });
    assert.equal(await currentEnvironmentId(body.data.key.rawKey), env.id);
  });

  test("publishable keys rotate too, keeping their allow-list", async () => {
    const { publishable } = await createEnvironment("timed-pk");
    const { status, body } = await rotate(publishable.id, 60, await adminToken());
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.data.key.type, "PUBLISHABLE");
    assert.match(body.data.key.rawKey, ID.publishableKey);
    assert.deepEqual(body.data.key.operations, publishable.operations);
  });

  test("a key already rotated cannot be rotated again (409)", async () => {
    const { secret } = await createEnvironment("timed-twice");
    assert.equal((await rotate(secret.id, 600, await adminToken())).status, 200);
    const again = await rotate(secret.id, 600, await adminToken());
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(typeof again.body.errors[0].message, "string");
  });

  test("expiresInSeconds out of range is a 422 naming it", async () => {
    const { secret } = await createEnvironment("timed-range");
    for (const bad of [-1, 31 * 86400]) {
      const { status, body } = await rotate(secret.id, bad, await adminToken());
      assert.equal(status, 422, `${bad}: ${JSON.stringify(body)}`);
      assert.equal(body.errors[0].key, "expiresInSeconds");
    }
    assert.equal(await currentEnvironmentId(secret.rawKey), secret.environmentId, "the key is untouched");
  });

  test("a missing or mistyped body is a 400", async () => {
    const { secret } = await createEnvironment("timed-body");
    const missing = await http("POST", `/v1/latchkey/api-keys/${secret.id}/rotate`, { token: await adminToken(), json: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].key, "expiresInSeconds");
    const wrongType = await rotate(secret.id, "an hour", await adminToken());
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.errors[0].key, "expiresInSeconds");
  });

  test("an unknown key is a 404; no credential is a 401", async () => {
    const unknown = await rotate("us_key_zzzzzzzz", 60, await adminToken());
    assert.equal(unknown.status, 404);
    const { secret } = await createEnvironment("timed-anon");
    const anonymous = await rotate(secret.id, 60, undefined);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.errors[0].key, "missing");
  });

  test("a secret key may not rotate keys (403), not even its own", async () => {
    const { secret } = await createEnvironment("timed-sk");
    const { status, body } = await rotate(secret.id, 60, secret.rawKey);
    assert.equal(status, 403, JSON.stringify(body));
  });

  test("a secret key of another environment gets 404 for a key it cannot see", async () => {
    const a = await createEnvironment("timed-iso-a");
    const b = await createEnvironment("timed-iso-b");
    const { status, body } = await rotate(b.secret.id, 60, a.secret.rawKey);
    assert.equal(status, 404, JSON.stringify(body));
    assert.equal(await currentEnvironmentId(b.secret.rawKey), b.env.id);
  });
});
