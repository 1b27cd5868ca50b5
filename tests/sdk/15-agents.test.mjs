// Agents through the SDK: agents.list/create/get/delete/listVersions/revert, the agent role
// methods, and the log and execution listings (always empty: Latchkey stores agents and never
// runs them). Who may do what: users of any role and the environment's secret key read;
// Administrators and the secret key deploy, revert, delete and assign roles; publishable keys
// never.
//
// Agents live in the test's own environment and go with it when the hook deletes it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  FlatfileError,
  ID,
  adminClient,
  adminSession,
  client,
  createEnvironment,
  createPat,
  expectHttpError,
  installHooks,
  inviteUser,
} from "./helpers.mjs";

installHooks();

const SOURCE = "module.exports = { routeEvent: async (...args) => { console.log(args) } }";
const AGENT_ID = /^us_ag_[A-Za-z0-9]+$/;
const VERSION_ID = /^us_agv_[A-Za-z0-9]+$/;

function config(overrides = {}) {
  return { topics: ["workbook:updated"], compiler: "js", source: SOURCE, namespace: "space:blue", ...overrides };
}

async function deploy(sdk, environmentId, overrides = {}) {
  const response = await sdk.agents.create({ environmentId, body: config(overrides) });
  assert.ok(response.data, "create answers {data: Agent}");
  return response.data;
}

describe("agents.create", () => {
  test("{environmentId, body}: {data: Agent} with the config, dates and the note that it never runs", async () => {
    const { env, secret } = await createEnvironment("ag-create");
    const agent = await deploy(client(secret.rawKey), env.id, { slug: "first", options: { retries: 2 } });
    assert.match(agent.id, AGENT_ID);
    assert.equal(agent.environmentId, env.id);
    assert.equal(agent.accountId, (await adminSession()).accountId);
    assert.deepEqual(agent.topics, ["workbook:updated"]);
    assert.equal(agent.compiler, "js");
    assert.equal(agent.source, SOURCE);
    assert.equal(agent.slug, "first");
    assert.equal(agent.namespace, "space:blue");
    assert.deepEqual(agent.options, { retries: 2 });
    assert.ok(agent.createdAt instanceof Date && agent.updatedAt instanceof Date);
    assert.equal(agent.running, false);
    assert.match(agent.runtimeNote, /never runs/);
  });

  test("the same slug again is a new version of the same agent; no slug is the default agent", async () => {
    const { env } = await createEnvironment("ag-slug");
    const admin = await adminClient();
    const one = await deploy(admin, env.id, { slug: "same" });
    const two = await deploy(admin, env.id, { slug: "same", source: "module.exports = {}" });
    assert.equal(two.id, one.id);
    assert.equal(two.source, "module.exports = {}");
    assert.equal(two.currentVersion, 2);
    assert.equal((await deploy(admin, env.id)).slug, "default");
  });

  test("a bad slug: 422 naming slug", async () => {
    const { env } = await createEnvironment("ag-bad");
    await expectHttpError((await adminClient()).agents.create({ environmentId: env.id, body: config({ slug: "no spaces" }) }), {
      status: 422,
      key: "slug",
    });
  });
});

describe("agents.list / get / delete", () => {
  test("list({environmentId, pageSize, pageNumber}): {data: Agent[] without code, pagination}", async () => {
    const { env, secret } = await createEnvironment("ag-list");
    const sk = client(secret.rawKey);
    for (const slug of ["a", "b", "c"]) await deploy(sk, env.id, { slug });
    const page = await sk.agents.list({ environmentId: env.id, pageSize: 2, pageNumber: 2 });
    assert.deepEqual(page.data.map((a) => a.slug), ["c"]);
    assert.deepEqual(page.pagination, { currentPage: 2, pageCount: 2, totalCount: 3 });
    assert.equal(page.data[0].source, undefined, "listings leave the code out");
    const found = await sk.agents.list({ environmentId: env.id, search: "B" });
    assert.deepEqual(found.data.map((a) => a.slug), ["b"]);
    assert.equal((await sk.agents.list({ environmentId: env.id, isSystem: true })).data.length, 0);
  });

  test("get(id, {environmentId}) has the source; delete(id) answers Success and then get is NotFoundError", async () => {
    const { env, secret } = await createEnvironment("ag-get");
    const sk = client(secret.rawKey);
    const agent = await deploy(sk, env.id, { sourceMap: "{\"version\":3}" });
    const got = (await sk.agents.get(agent.id, { environmentId: env.id })).data;
    assert.equal(got.source, SOURCE);
    assert.equal(got.sourceMap, "{\"version\":3}");
    assert.deepEqual((await sk.agents.delete(agent.id)).data, { success: true });
    await expectHttpError(sk.agents.get(agent.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(sk.agents.delete(agent.id), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("another environment's secret key does not find the agent (404)", async () => {
    const a = await createEnvironment("ag-a");
    const b = await createEnvironment("ag-b");
    const agent = await deploy(client(a.secret.rawKey), a.env.id);
    await expectHttpError(client(b.secret.rawKey).agents.get(agent.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(client(b.secret.rawKey).agents.list({ environmentId: a.env.id }), { status: 404 });
  });

  test("a PAT lists agents across environments (the seeds' monitoring agents across environments)", async () => {
    const a = await createEnvironment("ag-pat-a");
    const b = await createEnvironment("ag-pat-b");
    await deploy(client(a.secret.rawKey), a.env.id, { slug: "in-a" });
    await deploy(client(b.secret.rawKey), b.env.id, { slug: "in-b" });
    const pat = client((await createPat(await adminClient())).token);
    const slugs = [];
    for (const env of (await pat.environments.list({ pageSize: 100 })).data) {
      slugs.push(...(await pat.agents.list({ environmentId: env.id })).data.map((x) => x.slug));
    }
    assert.ok(slugs.includes("in-a") && slugs.includes("in-b"), `both agents: ${slugs}`);
  });

  test("deploys and deletes are agent:created, agent:updated and agent:deleted events", async () => {
    const { env, secret } = await createEnvironment("ag-events");
    const sk = client(secret.rawKey);
    const agent = await deploy(sk, env.id);
    await deploy(sk, env.id);
    await sk.agents.delete(agent.id);
    const events = (await sk.events.list({ environmentId: env.id, pageSize: 100 })).data;
    const topics = events.map((e) => e.topic);
    for (const topic of ["agent:created", "agent:updated", "agent:deleted"]) {
      assert.ok(topics.includes(topic), `${topic} in ${topics}`);
    }
  });
});

describe("agents.listVersions / revert", () => {
  test("versions newest first; revert makes an old one current as a new version with its origin", async () => {
    const { env, secret } = await createEnvironment("ag-versions");
    const sk = client(secret.rawKey);
    const first = await deploy(sk, env.id, { source: "one" });
    await deploy(sk, env.id, { source: "two" });
    const versions = (await sk.agents.listVersions(first.id)).data;
    assert.deepEqual(versions.map((v) => v.version), [2, 1]);
    for (const v of versions) {
      assert.match(v.id, VERSION_ID);
      assert.equal(v.agentId, first.id, "agent_id on the wire");
      assert.ok(v.createdAt instanceof Date);
    }
    const old = versions.find((v) => v.version === 1);
    const reverted = (await sk.agents.revert(first.id, old.id)).data;
    assert.equal(reverted.version, 3);
    assert.equal(reverted.origin, 1);
    assert.equal(reverted.source, "one");
    assert.equal((await sk.agents.get(first.id)).data.source, "one");
    await expectHttpError(sk.agents.revert(first.id, "us_agv_missing"), { type: Flatfile.NotFoundError, status: 404 });
  });
});

describe("agent roles", () => {
  test("assignAgentRole / listAgentRoles / deleteAgentRole: ActorRoles on the account or environment", async () => {
    const { env } = await createEnvironment("ag-roles");
    const admin = await adminClient();
    const agent = await deploy(admin, env.id);
    const { accountId } = await adminSession();
    const assigned = (await admin.agents.assignAgentRole(agent.id, { roleId: "us_rol_member", resourceId: accountId })).data;
    assert.match(assigned.id, ID.actorRole);
    assert.equal(assigned.actorId, agent.id);
    assert.equal(assigned.roleId, "us_rol_member");
    assert.equal(assigned.resourceId, accountId);
    assert.ok(assigned.createdAt instanceof Date);
    const listed = (await admin.agents.listAgentRoles(agent.id)).data;
    assert.deepEqual(listed.map((r) => r.id), [assigned.id]);
    assert.deepEqual((await admin.agents.deleteAgentRole(agent.id, assigned.id)).data, { success: true });
    assert.deepEqual((await admin.agents.listAgentRoles(agent.id)).data, []);
    await expectHttpError(admin.agents.deleteAgentRole(agent.id, assigned.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.agents.assignAgentRole(agent.id, { roleId: "us_rol_guest", resourceId: accountId }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "roleId",
    });
  });
});

describe("agent logs and executions", () => {
  test("getAgentLogs, getEnvironmentAgentLogs and getEnvironmentAgentExecutions are empty; getAgentLog is 404", async () => {
    const { env, secret } = await createEnvironment("ag-logs");
    const sk = client(secret.rawKey);
    const agent = await deploy(sk, env.id);
    const empty = { currentPage: 1, pageCount: 1, totalCount: 0 };
    const logs = await sk.agents.getAgentLogs(agent.id, { environmentId: env.id });
    assert.deepEqual([logs.data, logs.pagination], [[], empty]);
    const envLogs = await sk.agents.getEnvironmentAgentLogs({ environmentId: env.id, pageSize: 20, pageNumber: 1 });
    assert.deepEqual([envLogs.data, envLogs.pagination], [[], empty]);
    const runs = await sk.agents.getEnvironmentAgentExecutions({ environmentId: env.id, agentId: agent.id });
    assert.deepEqual([runs.data, runs.pagination], [[], empty]);
    await expectHttpError(sk.agents.getAgentLog("us_evt_none", { environmentId: env.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
      message: /never runs/,
    });
  });
});

describe("who may use agents", () => {
  test("a Member reads agents but cannot deploy, revert, delete or assign roles (403)", async () => {
    const { env } = await createEnvironment("ag-member");
    const admin = await adminClient();
    const agent = await deploy(admin, env.id);
    const member = (await inviteUser({ role: "Member", prefix: "ag-member" })).sdk;
    assert.equal((await member.agents.list({ environmentId: env.id })).data.length, 1);
    assert.equal((await member.agents.get(agent.id)).data.id, agent.id);
    assert.equal((await member.agents.listVersions(agent.id)).data.length, 1);
    await expectHttpError(member.agents.create({ environmentId: env.id, body: config() }), { status: 403 });
    await expectHttpError(member.agents.delete(agent.id), { type: FlatfileError, status: 403 });
    const version = (await member.agents.listVersions(agent.id)).data[0];
    await expectHttpError(member.agents.revert(agent.id, version.id), { status: 403 });
    await expectHttpError(member.agents.assignAgentRole(agent.id, { roleId: "us_rol_member", resourceId: env.id }), {
      type: Flatfile.ForbiddenError,
      status: 403,
    });
  });

  test("a publishable key may neither list nor deploy agents (403)", async () => {
    const { env, publishable } = await createEnvironment("ag-pk");
    const pk = client(publishable.rawKey);
    await expectHttpError(pk.agents.list({ environmentId: env.id }), { status: 403 });
    await expectHttpError(pk.agents.create({ environmentId: env.id, body: config() }), { status: 403 });
  });
});
