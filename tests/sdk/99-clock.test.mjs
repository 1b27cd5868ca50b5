// Timed rotation running out, with the dev clock (dev.clock_control = true).
//
// The clock only moves forward and is shared by the whole server, so this file runs last
// (tests/sdk.rs runs the files one at a time, in name order) and moves it by about one hour in
// total; Administrator tokens last 24 h, so nothing else is affected.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
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

async function advance(seconds, token) {
  return http("POST", "/v1/latchkey/clock", { token, json: { advanceSeconds: seconds } });
}

describe("the dev clock", () => {
  test("advanceSeconds 0 reads the server time without moving it", async () => {
    const accessToken = await adminToken();
    const { status, body } = await advance(0, accessToken);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(typeof body.data.offsetSeconds, "number");
    assert.ok(body.data.offsetSeconds >= 0);
    const skew = Date.parse(body.data.now) - (Date.now() + body.data.offsetSeconds * 1000);
    assert.ok(Math.abs(skew) < 60_000, `server now = wall clock + offset (skew ${skew} ms)`);
  });

  test("only an Administrator may move it", async () => {
    const { secret } = await createEnvironment("clock-sk");
    const bySecretKey = await advance(1, secret.rawKey);
    assert.equal(bySecretKey.status, 403, JSON.stringify(bySecretKey.body));
    const anonymous = await advance(1, undefined);
    assert.equal(anonymous.status, 401);
  });

  test("it cannot move backwards (422)", async () => {
    const accessToken = await adminToken();
    const { status, body } = await advance(-60, accessToken);
    assert.equal(status, 422, JSON.stringify(body));
    assert.equal(body.errors[0].key, "advanceSeconds");
  });
});

describe("timed rotation after the grace period", () => {
  test("the old key is refused with 401 once expiresAt has passed; the new key works", async () => {
    const accessToken = await adminToken();
    const admin = await adminClient();
    const { env, secret: old } = await createEnvironment("clock-rotate");

    const rotated = await http("POST", `/v1/latchkey/api-keys/${old.id}/rotate`, {
      token: accessToken,
      json: { expiresInSeconds: 3600 },
    });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const { key: fresh, previous } = rotated.body.data;
    assert.equal(previous.state, "expiring");

    assert.equal(await currentEnvironmentId(old.rawKey), env.id, "old key works before the clock moves");
    assert.equal(await currentEnvironmentId(fresh.rawKey), env.id, "new key works before the clock moves");

    // Just short of the grace: the old key still works.
    const early = await advance(3590, accessToken);
    assert.equal(early.status, 200, JSON.stringify(early.body));
    assert.ok(Date.parse(early.body.data.now) < Date.parse(previous.expiresAt));
    assert.equal(await currentEnvironmentId(old.rawKey), env.id, "old key works until expiresAt");

    // Past it: 3600 s + 1 s after the rotation in total.
    const late = await advance(11, accessToken);
    assert.equal(late.status, 200, JSON.stringify(late.body));
    assert.ok(Date.parse(late.body.data.now) >= Date.parse(previous.expiresAt));

    await expectHttpError(client(old.rawKey).environments.get("current"), {
      status: 401,
      key: "rotated-grace-ended",
      message: /^Unauthorized/,
    });
    await expectHttpError(client(old.rawKey).environments.list(), { status: 401, key: "rotated-grace-ended" });
    assert.equal(await currentEnvironmentId(fresh.rawKey), env.id, "the new key works");

    // The expired key is no longer listed; the new one is.
    const keys = (await admin.auth.getApiKeys({ environmentId: env.id })).data;
    assert.equal(keys.some((k) => k.id === old.id), false, "the expired key is not listed");
    assert.ok(keys.some((k) => k.id === fresh.id && k.state === "active"));

    // The Administrator's token (24 h) is unaffected by the hour that passed.
    assert.equal((await admin.environments.get(env.id)).data.id, env.id);

    // An expired key cannot be rotated again.
    const again = await http("POST", `/v1/latchkey/api-keys/${old.id}/rotate`, {
      token: accessToken,
      json: { expiresInSeconds: 60 },
    });
    assert.equal(again.status, 409, JSON.stringify(again.body));
  });
});
