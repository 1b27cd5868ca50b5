// What a listener and a `.env` user do, unchanged: `@flatfile/listener`'s FlatfileEvent.secrets
// on events Latchkey itself recorded (it adds the event's actorId, spaceId and environmentId),
// and the client built from FLATFILE_API_URL / FLATFILE_API_KEY in both of the hosted forms
// (the server itself, and `…/api` as the hosted base URL), which the clients extend with /v1.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FlatfileEvent } from "@flatfile/listener";
import {
  FlatfileClient,
  URL,
  adminClient,
  client,
  createEnvironment,
  createSpace,
  installHooks,
} from "./helpers.mjs";

installHooks();

/** The newest event of `topic` that Latchkey recorded in `environmentId`. */
async function recorded(sdk, environmentId, topic) {
  const events = (await sdk.events.list({ environmentId, includeAcknowledged: true })).data;
  const event = events.find((e) => e.topic === topic);
  assert.ok(event, `Latchkey recorded a ${topic} event (${events.map((e) => e.topic)})`);
  return event;
}

describe("@flatfile/listener FlatfileEvent.secrets", () => {
  test("an event's secrets: its actor's, else its space's, else its environment's", async () => {
    const admin = await adminClient();
    const { env, secret } = await createEnvironment("listener");
    const sdk = client(secret.rawKey);
    const space = await createSpace(env.id, {}, sdk);
    await admin.secrets.upsert({ name: "API_TOKEN", value: "environment's", environmentId: env.id });
    await admin.secrets.upsert({ name: "WEBHOOK_URL", value: "http://hook", environmentId: env.id });
    await admin.secrets.upsert({ name: "API_TOKEN", value: "space's", spaceId: space.id });

    const created = await recorded(sdk, env.id, "space:created");
    assert.equal(created.context.spaceId, space.id);
    assert.ok(created.context.actorId, "the event names its actor");
    // A hosted listener gets the agent's token and the base URL from its runtime.
    const event = () => new FlatfileEvent(created, secret.rawKey, URL);
    assert.equal(await event().secrets("API_TOKEN"), "space's");
    assert.equal(await event().secrets("WEBHOOK_URL"), "http://hook");
    // The seeds' "environment-specific secrets" call names the scope itself.
    assert.equal(
      await event().secrets("API_TOKEN", { environmentId: env.id, spaceId: space.id }),
      "space's",
    );

    // A secret for the event's actor wins over the space's.
    await admin.secrets.upsert({
      name: "API_TOKEN",
      value: "actor's",
      environmentId: env.id,
      actorId: created.context.actorId,
    });
    assert.equal(await event().secrets("API_TOKEN"), "actor's");
    await assert.rejects(event().secrets("MISSING"), /Secret MISSING not found/);
  });

  test("the hosted base URL form …/api reaches the same secrets", async () => {
    const admin = await adminClient();
    const { env, secret } = await createEnvironment("listener-api");
    const space = await createSpace(env.id, {}, client(secret.rawKey));
    await admin.secrets.upsert({ name: "API_TOKEN", value: "via /api", spaceId: space.id });
    const created = await recorded(client(secret.rawKey), env.id, "space:created");
    const event = new FlatfileEvent(created, secret.rawKey, `${URL}/api`);
    assert.equal(await event.secrets("API_TOKEN"), "via /api");
  });
});

describe("the official client from a .env block", () => {
  for (const [form, base] of [
    ["the server itself (what the banner prints)", () => URL],
    ["the hosted form …/api", () => `${URL}/api`],
  ]) {
    test(`FLATFILE_API_URL = ${form}`, async () => {
      const { env, secret } = await createEnvironment("dotenv");
      process.env.FLATFILE_API_URL = base();
      process.env.FLATFILE_API_KEY = secret.rawKey;
      try {
        // FLATFILE_API_URL is read when the client is built; the key on every request.
        const api = new FlatfileClient();
        const current = (await api.environments.get(env.id)).data;
        assert.equal(current.id, env.id);
        const space = (await api.spaces.create({ name: "from .env", environmentId: env.id })).data;
        assert.equal((await api.spaces.get(space.id)).data.name, "from .env");
        // The seeds' "Using Secret Keys (Server-side)" snippet.
        await api.workbooks.create({ name: "wb", spaceId: space.id });
        const workbooks = (await api.workbooks.list()).data;
        assert.ok(workbooks.some((w) => w.spaceId === space.id), "workbooks.list() sees it");
      } finally {
        delete process.env.FLATFILE_API_URL;
        delete process.env.FLATFILE_API_KEY;
      }
    });
  }
});
