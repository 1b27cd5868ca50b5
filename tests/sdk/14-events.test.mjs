// The audit log through the SDK: events.list (filters, paging, newest first), get, ack, create;
// who may read it; and Latchkey's NDJSON export GET /v1/latchkey/events/export (fetch).
//
// Each test reads the events of its own environment (or space), so what other tests and files
// wrote does not matter. Events outlive their environment (it is an audit log).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  ID,
  URL,
  adminClient,
  adminSession,
  adminToken,
  client,
  createEnvironment,
  createPat,
  createSpace,
  expectHttpError,
  http,
  installHooks,
  inviteUser,
  uniqueName,
} from "./helpers.mjs";

installHooks();

function assertEventShape(event) {
  assert.match(event.id, ID.event);
  assert.equal(typeof event.topic, "string");
  assert.equal(typeof event.domain, "string");
  assert.equal(typeof event.payload, "object");
  assert.match(event.context.accountId, ID.account);
  assert.ok(event.createdAt instanceof Date, "the SDK turned createdAt into a Date");
}

async function listEvents(request) {
  const admin = await adminClient();
  const response = await admin.events.list(request);
  assert.equal("pagination" in response, false, "events.list answers no pagination object");
  return response.data;
}

/** Lets a few milliseconds pass, so the next event gets a later stamp (events are stamped in ms). */
async function tick() {
  await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("events.list", () => {
  test("after spaces.create the newest event is space:created by the caller", async () => {
    const admin = await adminClient();
    const { userId, accountId } = await adminSession();
    const { env } = await createEnvironment("ev-space");
    const name = uniqueName("audited");
    const space = (await admin.spaces.create({ name, environmentId: env.id })).data;
    const [newest] = await listEvents({ environmentId: env.id, pageSize: 1 });
    assertEventShape(newest);
    assert.equal(newest.topic, "space:created");
    assert.equal(newest.domain, "space");
    assert.equal(newest.context.actorId, userId);
    assert.equal(newest.context.accountId, accountId);
    assert.equal(newest.context.environmentId, env.id);
    assert.equal(newest.context.spaceId, space.id);
    assert.equal(newest.payload.name, name);
    assert.equal(newest.acknowledgedAt, undefined);
  });

  test("an environment's secret key is the actor of what it does (its us_key_ id)", async () => {
    const { env, secret } = await createEnvironment("ev-actor-key");
    await client(secret.rawKey).spaces.create({ name: "by key" });
    const [newest] = await listEvents({ environmentId: env.id, pageSize: 1 });
    assert.equal(newest.topic, "space:created");
    assert.equal(newest.context.actorId, secret.id);
    assert.match(newest.context.actorId, ID.key);
  });

  test("newest first, with mutations of several kinds each leaving their topic", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("ev-order");
    const space = await createSpace(env.id);
    await admin.spaces.update(space.id, { name: "renamed" });
    await admin.secrets.upsert({ name: "K", value: "v", environmentId: env.id });
    await admin.spaces.archiveSpace(space.id);
    const events = await listEvents({ environmentId: env.id, pageSize: 50 });
    const topics = events.map((e) => e.topic);
    const wanted = ["space:archived", "secret:created", "space:updated", "space:created"];
    assert.deepEqual(
      topics.filter((t) => wanted.includes(t)),
      wanted,
      `newest first: ${topics.join(", ")}`,
    );
    for (let i = 1; i < events.length; i += 1) {
      assert.ok(events[i - 1].createdAt.getTime() >= events[i].createdAt.getTime(), "createdAt never increases");
    }
  });

  test("spaceId, domain and topic filter the list", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("ev-filter");
    const a = await createSpace(env.id);
    const b = await createSpace(env.id);
    await admin.spaces.update(a.id, { name: "a2" });
    await admin.secrets.upsert({ name: "K", value: "v", spaceId: b.id });

    const inA = await listEvents({ environmentId: env.id, spaceId: a.id });
    assert.deepEqual(
      inA.map((e) => e.topic),
      ["space:updated", "space:created"],
    );
    assert.ok(inA.every((e) => e.context.spaceId === a.id));

    const secretsOnly = await listEvents({ environmentId: env.id, domain: "secret" });
    assert.deepEqual(
      secretsOnly.map((e) => [e.topic, e.context.spaceId]),
      [["secret:created", b.id]],
    );

    const created = await listEvents({ environmentId: env.id, topic: "space:created" });
    assert.deepEqual(
      created.map((e) => e.context.spaceId),
      [b.id, a.id],
    );
    assert.deepEqual(await listEvents({ environmentId: env.id, topic: "space:deleted" }), []);
  });

  test("since (a Date) keeps the events at or after it", async () => {
    const { env } = await createEnvironment("ev-since");
    const first = await createSpace(env.id);
    const [firstEvent] = await listEvents({ environmentId: env.id, topic: "space:created" });
    assert.equal(firstEvent.context.spaceId, first.id);
    await tick();
    const second = await createSpace(env.id);
    const [secondEvent] = await listEvents({ environmentId: env.id, topic: "space:created", pageSize: 1 });
    assert.equal(secondEvent.context.spaceId, second.id);
    assert.ok(secondEvent.createdAt.getTime() > firstEvent.createdAt.getTime());

    const since = new Date(firstEvent.createdAt.getTime() + 1);
    const after = await listEvents({ environmentId: env.id, topic: "space:created", since });
    assert.deepEqual(
      after.map((e) => e.id),
      [secondEvent.id],
    );
    const inclusive = await listEvents({ environmentId: env.id, topic: "space:created", since: firstEvent.createdAt });
    assert.deepEqual(
      inclusive.map((e) => e.id),
      [secondEvent.id, firstEvent.id],
    );
    const future = new Date(secondEvent.createdAt.getTime() + 3600_000);
    assert.deepEqual(await listEvents({ environmentId: env.id, since: future }), []);
  });

  test("pageSize and pageNumber page through the events (default page size 10)", async () => {
    const { env } = await createEnvironment("ev-page");
    const spaces = [];
    for (let i = 0; i < 12; i += 1) spaces.push(await createSpace(env.id));
    const newestFirst = spaces.map((s) => s.id).reverse();
    const topic = "space:created";
    const byDefault = await listEvents({ environmentId: env.id, topic });
    assert.equal(byDefault.length, 10);
    const page1 = await listEvents({ environmentId: env.id, topic, pageSize: 5, pageNumber: 1 });
    const page2 = await listEvents({ environmentId: env.id, topic, pageSize: 5, pageNumber: 2 });
    const page3 = await listEvents({ environmentId: env.id, topic, pageSize: 5, pageNumber: 3 });
    const page4 = await listEvents({ environmentId: env.id, topic, pageSize: 5, pageNumber: 4 });
    assert.deepEqual(
      [...page1, ...page2, ...page3].map((e) => e.context.spaceId),
      newestFirst,
    );
    assert.equal(page3.length, 2);
    assert.deepEqual(page4, []);
  });

  test("a secret key reads its own environment's events without environmentId, not another's (404)", async () => {
    const a = await createEnvironment("ev-sk-a");
    const b = await createEnvironment("ev-sk-b");
    await createSpace(a.env.id);
    await createSpace(b.env.id);
    const own = (await client(a.secret.rawKey).events.list({ topic: "space:created" })).data;
    assert.equal(own.length, 1);
    assert.equal(own[0].context.environmentId, a.env.id);
    // events.list maps no statuses, so this is a plain FlatfileError.
    await expectHttpError(client(a.secret.rawKey).events.list({ environmentId: b.env.id }), { status: 404 });
  });
});

describe("events.get / ack", () => {
  test("get answers the same Event as the list", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("ev-get");
    await createSpace(env.id);
    const [listed] = await listEvents({ environmentId: env.id, pageSize: 1 });
    const got = (await admin.events.get(listed.id)).data;
    assert.deepEqual(got, listed);
  });

  test("ack (bodiless POST) answers Success; the event then shows to a secret key only with includeAcknowledged, to an Administrator always", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const { env, secret } = await createEnvironment("ev-ack");
    const space = await createSpace(env.id);
    await admin.spaces.update(space.id, { name: "second" });
    const [updated, created] = await listEvents({ environmentId: env.id, spaceId: space.id });
    assert.equal(updated.topic, "space:updated");
    assert.equal(created.topic, "space:created");

    assert.deepEqual(await admin.events.ack(created.id), { data: { success: true } });
    const byKey = async (request) => (await client(secret.rawKey).events.list(request)).data.map((e) => e.id);
    assert.deepEqual(await byKey({ environmentId: env.id, spaceId: space.id }), [updated.id]);
    assert.deepEqual(await byKey({ environmentId: env.id, spaceId: space.id, includeAcknowledged: false }), [updated.id]);
    assert.deepEqual(
      await byKey({ environmentId: env.id, spaceId: space.id, includeAcknowledged: true }),
      [updated.id, created.id],
    );
    const all = await listEvents({ environmentId: env.id, spaceId: space.id });
    assert.deepEqual(
      all.map((e) => e.id),
      [updated.id, created.id],
      "acknowledging hides nothing from an Administrator",
    );
    const acked = all[1];
    assert.ok(acked.acknowledgedAt instanceof Date, "acknowledgedAt is a Date");
    assert.equal(acked.acknowledgedBy, userId);
    assert.deepEqual((await admin.events.get(created.id)).data, acked);
  });

  test("an unknown event is a 404 for get and ack (FlatfileError: neither maps statuses)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.events.get("us_evt_zzzzzzzz"), { status: 404 });
    await expectHttpError(admin.events.ack("us_evt_zzzzzzzz"), { status: 404 });
  });

  test("another environment's secret key may not read or ack an event (404)", async () => {
    const a = await createEnvironment("ev-get-a");
    const b = await createEnvironment("ev-get-b");
    await createSpace(b.env.id);
    const [event] = await listEvents({ environmentId: b.env.id, pageSize: 1 });
    await expectHttpError(client(a.secret.rawKey).events.get(event.id), { status: 404 });
    await expectHttpError(client(a.secret.rawKey).events.ack(event.id), { status: 404 });
    assert.equal((await client(b.secret.rawKey).events.get(event.id)).data.id, event.id);
  });
});

describe("events.create", () => {
  test("{topic, domain, payload, context}: {data: Event} by the caller, then listed", async () => {
    const admin = await adminClient();
    const { userId, accountId } = await adminSession();
    const { env } = await createEnvironment("ev-create");
    const payload = { jobId: "job-1", rows: 42, nested: { ok: true } };
    const created = (
      await admin.events.create({
        topic: "job:completed",
        domain: "job",
        payload,
        context: { accountId, environmentId: env.id },
      })
    ).data;
    assertEventShape(created);
    assert.equal(created.topic, "job:completed");
    assert.equal(created.domain, "job");
    assert.deepEqual(created.payload, payload);
    assert.equal(created.context.environmentId, env.id);
    assert.equal(created.context.accountId, accountId);
    assert.equal(created.context.actorId, userId);

    const listed = await listEvents({ environmentId: env.id, topic: "job:completed" });
    assert.deepEqual(listed, [created]);
    assert.deepEqual((await admin.events.get(created.id)).data, created);
  });

  test("with context.spaceId the event is found by spaceId", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const { env } = await createEnvironment("ev-create-space");
    const space = await createSpace(env.id);
    const created = (
      await admin.events.create({
        topic: "job:ready",
        domain: "job",
        payload: {},
        context: { accountId, environmentId: env.id, spaceId: space.id },
      })
    ).data;
    assert.equal(created.context.spaceId, space.id);
    const [newest] = await listEvents({ environmentId: env.id, spaceId: space.id, pageSize: 1 });
    assert.equal(newest.id, created.id);
  });

  test("a secret key writes into its own environment; another environment is a 404 NotFoundError", async () => {
    const { accountId } = await adminSession();
    const a = await createEnvironment("ev-create-a");
    const b = await createEnvironment("ev-create-b");
    const key = client(a.secret.rawKey);
    const created = (
      await key.events.create({ topic: "job:failed", domain: "job", payload: {}, context: { accountId, environmentId: a.env.id } })
    ).data;
    assert.equal(created.context.actorId, a.secret.id);
    await expectHttpError(
      key.events.create({ topic: "job:failed", domain: "job", payload: {}, context: { accountId, environmentId: b.env.id } }),
      { type: Flatfile.NotFoundError, status: 404 },
    );
  });
});

describe("who may read the audit log", () => {
  test("a Member's login token and PAT get 403 for list, get, ack and create", async () => {
    const { accountId } = await adminSession();
    const { env } = await createEnvironment("ev-member");
    await createSpace(env.id);
    const [event] = await listEvents({ environmentId: env.id, pageSize: 1 });
    const member = await inviteUser({ prefix: "ev-member" });
    const pat = await createPat(member.sdk);
    for (const api of [member.sdk, client(pat.token)]) {
      await expectHttpError(api.events.list({ environmentId: env.id }), {
        status: 403,
        message: /Administrator or the environment's secret key/,
      });
      await expectHttpError(api.events.list(), { status: 403 });
      await expectHttpError(api.events.get(event.id), { status: 403 });
      await expectHttpError(api.events.ack(event.id), { status: 403 });
      // events.create maps 400 and 404 only, so the 403 is a plain FlatfileError.
      await expectHttpError(
        api.events.create({ topic: "job:completed", domain: "job", payload: {}, context: { accountId, environmentId: env.id } }),
        { status: 403 },
      );
    }
    assert.equal((await listEvents({ environmentId: env.id, pageSize: 1 }))[0].acknowledgedAt, undefined);
  });

  test("a publishable key gets 403", async () => {
    const { env, publishable } = await createEnvironment("ev-pk");
    await expectHttpError(client(publishable.rawKey).events.list({ environmentId: env.id }), { status: 403 });
  });
});

describe("GET /v1/latchkey/events/export", () => {
  async function exportEvents(token, query = "") {
    const response = await fetch(`${URL}/v1/latchkey/events/export${query}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  }

  test("an Administrator gets NDJSON, oldest first, with the test's events in it", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("ev-export");
    const space = await createSpace(env.id);
    await admin.spaces.update(space.id, { name: "exported" });
    const ours = await listEvents({ environmentId: env.id, spaceId: space.id });

    const { status, type, text } = await exportEvents(await adminToken());
    assert.equal(status, 200, text.slice(0, 200));
    assert.match(type, /^application\/x-ndjson/);
    assert.ok(text.endsWith("\n"), "every line ends with a newline");
    const lines = text.split("\n").slice(0, -1);
    assert.ok(lines.length > 0);
    const events = lines.map((line) => JSON.parse(line));
    for (const event of events) {
      assert.match(event.id, ID.event);
      assert.equal(typeof event.topic, "string");
      assert.match(event.createdAt, ID.isoMillis);
    }
    for (let i = 1; i < events.length; i += 1) {
      assert.ok(events[i - 1].createdAt <= events[i].createdAt, "oldest first");
    }
    const exported = events.filter((e) => e.context.spaceId === space.id).map((e) => e.id);
    assert.deepEqual(
      exported,
      ours.map((e) => e.id).reverse(),
    );
  });

  test("since and until narrow the export", async () => {
    const { env } = await createEnvironment("ev-export-window");
    const space = await createSpace(env.id);
    const [created] = await listEvents({ environmentId: env.id, spaceId: space.id });
    const at = encodeURIComponent(created.createdAt.toISOString());
    const { status, text } = await exportEvents(await adminToken(), `?since=${at}&until=${at}`);
    assert.equal(status, 200, text.slice(0, 200));
    const ids = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l).id);
    assert.ok(ids.includes(created.id), "the event at that instant is exported");
    const bad = await http("GET", "/v1/latchkey/events/export?since=yesterday", { token: await adminToken() });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.errors[0].key, "since");
  });

  test("a secret key or a Member gets 403", async () => {
    const { secret } = await createEnvironment("ev-export-sk");
    const bySecretKey = await http("GET", "/v1/latchkey/events/export", { token: secret.rawKey });
    assert.equal(bySecretKey.status, 403, JSON.stringify(bySecretKey.body));
    const member = await inviteUser({ prefix: "ev-export" });
    const byMember = await http("GET", "/v1/latchkey/events/export", { token: member.session.accessToken });
    assert.equal(byMember.status, 403, JSON.stringify(byMember.body));
  });
});
