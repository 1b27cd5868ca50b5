// The rest of the client's surface: the six environment-guide methods, both event-token methods
// (and then the Latchkey event stream they open, read with fetch as Server-Sent Events), and
// auth.getSftpCredentials, which Latchkey answers as not available.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  FlatfileError,
  adminClient,
  adminSession,
  client,
  createEnvironment,
  createSpace,
  expectHttpError,
  installHooks,
  inviteUser,
} from "./helpers.mjs";

installHooks();

const GUIDE = /^us_gu_[A-Za-z0-9]+$/;

function guideRequest(environmentId, slug) {
  return {
    title: "Importing your data",
    description: "Getting started guide",
    slug,
    environmentId,
    blocks: [{ type: "markdown", content: "# Welcome" }],
    metadata: { category: "onboarding" },
  };
}

describe("environment guides", () => {
  test("create, list, get, update, getGuideVersion and delete through the SDK", async () => {
    const { env, secret } = await createEnvironment("guides");
    const sk = client(secret.rawKey);
    const created = (await sk.environments.createGuide(env.id, guideRequest(env.id, "start"))).data;
    assert.match(created.id, GUIDE);
    assert.equal(created.slug, "start");
    assert.deepEqual(created.metadata, { category: "onboarding" });
    assert.ok(created.createdAt instanceof Date && created.updatedAt instanceof Date);
    assert.equal(created.versions.length, 1);
    assert.equal(created.versions[0].version, 1);
    assert.ok(created.versions[0].createdAt instanceof Date);

    const admin = await adminClient();
    const listed = (await admin.environments.listGuides(env.id)).data;
    assert.deepEqual(listed.map((g) => g.id), [created.id]);
    const got = (await admin.environments.getGuide(env.id, created.id)).data;
    assert.equal(got.title, "Importing your data");

    const blocks = [{ type: "markdown", content: "# Welcome back" }];
    const updated = (await sk.environments.updateGuide(env.id, created.id, { blocks, title: "Renamed" })).data;
    assert.equal(updated.title, "Renamed");
    assert.deepEqual(updated.versions.map((v) => v.version), [1, 2]);
    const first = (await admin.environments.getGuideVersion(env.id, created.id, 1)).data;
    assert.match(first.content, /# Welcome"/);
    assert.equal(first.version, 1);
    await expectHttpError(admin.environments.getGuideVersion(env.id, created.id, 7), {
      type: Flatfile.NotFoundError,
      status: 404,
    });

    const deleted = await sk.environments.deleteGuide(env.id, created.id);
    assert.equal(deleted.data.success, true);
    await expectHttpError(admin.environments.getGuide(env.id, created.id), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("a Member reads guides but may not write them", async () => {
    const { env } = await createEnvironment("guides-member");
    const admin = await adminClient();
    await admin.environments.createGuide(env.id, guideRequest(env.id, "member-reads"));
    const { sdk: member } = await inviteUser({ prefix: "guide-reader" });
    assert.equal((await member.environments.listGuides(env.id)).data.length, 1);
    await expectHttpError(member.environments.createGuide(env.id, guideRequest(env.id, "nope")), {
      type: FlatfileError,
      status: 403,
    });
  });
});

/** Reads Server-Sent Events from `url` until `want` returns true for the list so far. */
async function readEvents(url, want, { headers = {}, timeoutMs = 10000 } = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const response = await fetch(url, { headers, signal: abort.signal });
  assert.equal(response.status, 200, `stream: ${response.status}`);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const messages = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (!want(messages)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = {};
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) message.id = line.slice(4);
          if (line.startsWith("event: ")) message.event = line.slice(7);
          if (line.startsWith("data: ")) message.data = JSON.parse(line.slice(6));
        }
        if (message.data !== undefined) messages.push(message);
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return messages;
}

/** An event the SDK accepts (a topic of its enum, the account in the context). */
async function jobEvent(environmentId, topic) {
  const { accountId } = await adminSession();
  return { topic, domain: "job", payload: { n: 1 }, context: { accountId, environmentId } };
}

describe("event tokens and the event stream", () => {
  test("events.getEventToken gives a token whose stream delivers new events", async () => {
    const { env, secret } = await createEnvironment("stream");
    const sk = client(secret.rawKey);
    const { accountId } = await adminSession();
    const token = (await sk.events.getEventToken()).data;
    assert.equal(token.accountId, accountId);
    assert.equal(token.ttl, 15, "minutes");
    assert.equal(typeof token.token, "string");
    assert.equal(token.subscribeKey, "latchkey-sse");
    assert.equal(token.environmentId, env.id, "a secret key's token is for its environment");
    const topic = "job:completed";
    const reading = readEvents(`${token.streamUrl}&topic=${encodeURIComponent(topic)}`, (m) => m.length >= 2);
    reading.catch(() => {}); // awaited below; this only keeps an early failure from dangling
    await new Promise((resolve) => setTimeout(resolve, 300));
    const a = (await sk.events.create(await jobEvent(env.id, topic))).data;
    const b = (await sk.events.create(await jobEvent(env.id, topic))).data;
    const messages = await reading;
    assert.deepEqual(messages.map((m) => m.id), [a.id, b.id], "the SSE ids are the event ids, in order");
    assert.equal(messages[0].data.topic, topic);
    assert.equal(messages[0].data.context.environmentId, env.id);

    const resumed = await readEvents(
      `${token.streamUrl}&topic=${encodeURIComponent(topic)}`,
      (m) => m.length >= 1,
      { headers: { "Last-Event-ID": a.id } },
    );
    assert.equal(resumed[0].id, b.id, "Last-Event-ID resumes right after that event");
  });

  test("environments.getEnvironmentEventToken gives an Administrator a token for one environment", async () => {
    const { env, secret } = await createEnvironment("stream-env");
    const { env: other, secret: otherSecret } = await createEnvironment("stream-other");
    const admin = await adminClient();
    const token = (await admin.environments.getEnvironmentEventToken({ environmentId: env.id })).data;
    assert.equal(token.environmentId, env.id);
    const topic = "job:failed";
    const reading = readEvents(`${token.streamUrl}&topic=${encodeURIComponent(topic)}`, (m) => m.length >= 1);
    reading.catch(() => {}); // awaited below; this only keeps an early failure from dangling
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client(otherSecret.rawKey).events.create(await jobEvent(other.id, topic));
    const mine = (await client(secret.rawKey).events.create(await jobEvent(env.id, topic))).data;
    const [first] = await reading;
    assert.equal(first.id, mine.id, "the other environment's event never arrives");
    await expectHttpError(
      client(secret.rawKey).environments.getEnvironmentEventToken({ environmentId: other.id }),
      { type: Flatfile.NotFoundError, status: 404 },
    );
  });
});

describe("not available in Latchkey", () => {
  test("auth.getSftpCredentials answers BadRequestError notAvailableInLatchkey", async () => {
    const { env } = await createEnvironment("sftp");
    const space = await createSpace(env.id);
    const admin = await adminClient();
    await expectHttpError(admin.auth.getSftpCredentials({ spaceId: space.id }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "notAvailableInLatchkey",
      message: /not available in Latchkey/,
    });
  });
});
