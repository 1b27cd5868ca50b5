// Spaces and workbooks through the SDK: spaces.list/create/get/update/delete/bulkDelete/
// archiveSpace/unarchiveSpace, the space access token a publishable key gets, and
// workbooks.list/create/get/update/delete.
//
// Every test works in environments of its own (createEnvironment); the spaces, workbooks and
// guests in them go with the environment when the hook deletes it.

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
  createSpace,
  createWorkbook,
  expectHttpError,
  http,
  installHooks,
  jwtPayload,
  uniqueName,
} from "./helpers.mjs";

installHooks();

const DAY = 24 * 3600 * 1000;

function assertSpaceShape(space, { environmentId, name }) {
  assert.match(space.id, ID.space);
  assert.equal(space.name, name);
  assert.equal(space.environmentId, environmentId);
  assert.match(space.accountId, ID.account);
  assert.ok(Array.isArray(space.guestAuthentication), "guestAuthentication is a list");
  assert.ok(space.createdAt instanceof Date, "the SDK turned createdAt into a Date");
  assert.ok(space.updatedAt instanceof Date, "the SDK turned updatedAt into a Date");
  assert.ok(Math.abs(Date.now() - space.createdAt.getTime()) < DAY, "createdAt is about now");
  assert.equal(typeof space.workbooksCount, "number");
}

function assertWorkbookShape(wb, { spaceId, environmentId, name }) {
  assert.match(wb.id, ID.workbook);
  assert.equal(wb.spaceId, spaceId);
  assert.equal(wb.environmentId, environmentId);
  assert.equal(wb.name, name);
  assert.ok(wb.createdAt instanceof Date, "the SDK turned createdAt into a Date");
  assert.ok(wb.updatedAt instanceof Date, "the SDK turned updatedAt into a Date");
}

const SHEETS = [
  {
    name: "Contacts",
    slug: "contacts",
    fields: [
      { key: "email", type: "string", label: "Email" },
      { key: "age", type: "number", label: "Age" },
    ],
  },
  { name: "Notes", fields: [{ key: "text", type: "string" }] },
];

/** The ids of the spaces spaces.list answers for `request`. */
async function listedIds(request) {
  const admin = await adminClient();
  return (await admin.spaces.list(request)).data.map((s) => s.id);
}

describe("spaces.create", () => {
  test("name and environmentId: {data: Space} with both sign-in methods and a guestLink", async () => {
    const admin = await adminClient();
    const { userId } = await adminSession();
    const { env } = await createEnvironment("sp-create");
    const name = uniqueName("space");
    const response = await admin.spaces.create({ name, environmentId: env.id });
    const space = response.data;
    assertSpaceShape(space, { environmentId: env.id, name });
    assert.deepEqual([...space.guestAuthentication].sort(), ["magic_link", "shared_link"]);
    assert.equal(space.guestLink, `${URL}/join/${space.id}`);
    assert.equal(space.workbooksCount, 0);
    assert.equal(space.createdByUserId, userId);
    assert.equal(space.accessToken, undefined, "only publishable-key callers get an accessToken");
    assert.equal(space.archivedAt, undefined);
    assert.equal(space.createdAt.getTime(), space.updatedAt.getTime());
    const got = (await admin.spaces.get(space.id)).data;
    assert.deepEqual(got, space);
  });

  test("guestAuthentication is stored; guestLink only while shared_link is allowed", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-guestauth");
    const magic = await createSpace(env.id, { guestAuthentication: ["magic_link"] });
    assert.deepEqual(magic.guestAuthentication, ["magic_link"]);
    assert.equal(magic.guestLink, undefined);
    const shared = await createSpace(env.id, { guestAuthentication: ["shared_link"] });
    assert.deepEqual(shared.guestAuthentication, ["shared_link"]);
    assert.equal(shared.guestLink, `${URL}/join/${shared.id}`);

    // The link opens (a JSON description of how to join); with shared_link off it is a 404.
    const open = await http("GET", `/join/${shared.id}`);
    assert.equal(open.status, 200, JSON.stringify(open.body));
    assert.equal(open.body.data.spaceId, shared.id);
    const closed = await http("GET", `/join/${magic.id}`);
    assert.equal(closed.status, 404, JSON.stringify(closed.body));

    assert.deepEqual((await admin.spaces.get(magic.id)).data.guestAuthentication, ["magic_link"]);
  });

  test("metadata, settings, labels and namespace round-trip", async () => {
    const { env } = await createEnvironment("sp-extras");
    const config = {
      metadata: { customer: "acme", nested: { n: 1 } },
      settings: { filesMappedAfterJob: "map", omitActions: ["submit"] },
      labels: ["a", "b"],
      namespace: "portal",
    };
    const space = await createSpace(env.id, config);
    const admin = await adminClient();
    const got = (await admin.spaces.get(space.id)).data;
    assert.deepEqual(got.metadata, config.metadata);
    assert.deepEqual(got.settings, config.settings);
    assert.deepEqual(got.labels, config.labels);
    assert.equal(got.namespace, "portal");
  });

  test("a secret key creates in its own environment without environmentId", async () => {
    const { env, secret } = await createEnvironment("sp-sk");
    const space = (await client(secret.rawKey).spaces.create({ name: "by key" })).data;
    assert.equal(space.environmentId, env.id);
    assert.equal(space.createdByUserId, undefined, "no user created it");
    assert.equal(space.accessToken, undefined, "a secret key gets no space token");
  });

  test("an Administrator token without environmentId is a 400 BadRequestError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.spaces.create({ name: "nowhere" }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "environmentId",
    });
  });

  test("an unknown environment is a 404 NotFoundError; another environment's secret key gets 404", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.spaces.create({ name: "x", environmentId: "us_env_zzzzzzzz" }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    const a = await createEnvironment("sp-iso-a");
    const b = await createEnvironment("sp-iso-b");
    await expectHttpError(client(a.secret.rawKey).spaces.create({ name: "x", environmentId: b.env.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });
});

describe("spaces.create with a publishable key", () => {
  test("answers data.accessToken, which reads that space and no other", async () => {
    const { env, publishable } = await createEnvironment("sp-pk");
    const other = await createSpace(env.id);
    const pk = client(publishable.rawKey);
    const name = uniqueName("embedded");
    const space = (await pk.spaces.create({ name, environmentId: env.id })).data;
    assertSpaceShape(space, { environmentId: env.id, name });
    assert.match(space.accessToken, ID.jwt);
    const claims = jwtPayload(space.accessToken);
    assert.equal(claims.sub, space.id);

    const spaceClient = client(space.accessToken);
    const got = (await spaceClient.spaces.get(space.id)).data;
    assert.equal(got.id, space.id);
    assert.equal(got.accessToken, undefined, "the token is only handed out at creation");
    // spaces.get maps only 400 and 404, so the 403 comes through as a plain FlatfileError.
    await expectHttpError(spaceClient.spaces.get(other.id), { status: 403, message: /space token/ });
    assert.deepEqual(
      (await spaceClient.spaces.list()).data.map((s) => s.id),
      [space.id],
      "the space token lists only its space",
    );
    await expectHttpError(spaceClient.spaces.create({ name: "more", environmentId: env.id }), { status: 403 });
    await expectHttpError(spaceClient.spaces.delete(space.id), { status: 403 });
  });

  test("the publishable key itself may only create spaces (403 on reads)", async () => {
    const { env, publishable } = await createEnvironment("sp-pk-only");
    const space = await createSpace(env.id);
    const pk = client(publishable.rawKey);
    await expectHttpError(pk.spaces.get(space.id), { status: 403, message: /publishable key/ });
    await expectHttpError(pk.spaces.list(), { status: 403, message: /publishable key/ });
  });

  test("without environmentId the key's environment is used", async () => {
    const { env, publishable } = await createEnvironment("sp-pk-noenv");
    const space = (await client(publishable.rawKey).spaces.create({ name: "embedded" })).data;
    assert.equal(space.environmentId, env.id);
    assert.match(space.accessToken, ID.jwt);
  });
});

describe("spaces.get", () => {
  test("an unknown space is a 404 NotFoundError; a malformed id a 400 BadRequestError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.spaces.get("us_sp_zzzzzzzz"), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.spaces.get("nope"), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "spaceId",
    });
  });

  test("another environment's secret key gets 404 NotFoundError; its own reads it", async () => {
    const a = await createEnvironment("sp-get-a");
    const b = await createEnvironment("sp-get-b");
    const space = await createSpace(b.env.id);
    await expectHttpError(client(a.secret.rawKey).spaces.get(space.id), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    assert.equal((await client(b.secret.rawKey).spaces.get(space.id)).data.id, space.id);
  });
});

describe("spaces.update", () => {
  test("changes name, metadata and guestAuthentication; answers and stores the new Space", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-update");
    const space = await createSpace(env.id, { metadata: { v: 1 } });
    const name = uniqueName("renamed");
    const updated = (
      await admin.spaces.update(space.id, { name, metadata: { v: 2 }, guestAuthentication: ["magic_link"] })
    ).data;
    assert.equal(updated.id, space.id);
    assert.equal(updated.name, name);
    assert.deepEqual(updated.metadata, { v: 2 });
    assert.deepEqual(updated.guestAuthentication, ["magic_link"]);
    assert.equal(updated.guestLink, undefined, "no guestLink once shared_link is off");
    assert.equal(updated.createdAt.getTime(), space.createdAt.getTime());
    assert.ok(updated.updatedAt.getTime() >= space.updatedAt.getTime());
    assert.deepEqual((await admin.spaces.get(space.id)).data, updated);
  });

  test("fields left out stay as they were", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-update-keep");
    const space = await createSpace(env.id, { labels: ["keep"], guestAuthentication: ["shared_link"] });
    const updated = (await admin.spaces.update(space.id, { metadata: { x: true } })).data;
    assert.equal(updated.name, space.name);
    assert.deepEqual(updated.labels, ["keep"]);
    assert.deepEqual(updated.guestAuthentication, ["shared_link"]);
  });

  test("moving a space to another environment is refused (422, FlatfileError)", async () => {
    const admin = await adminClient();
    const a = await createEnvironment("sp-move-a");
    const b = await createEnvironment("sp-move-b");
    const space = await createSpace(a.env.id);
    await expectHttpError(admin.spaces.update(space.id, { environmentId: b.env.id }), {
      status: 422,
      key: "environmentId",
    });
    assert.equal((await admin.spaces.get(space.id)).data.environmentId, a.env.id);
  });

  test("an unknown space is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.spaces.update("us_sp_zzzzzzzz", { name: "x" }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });
});

describe("spaces.delete", () => {
  test("answers Success; the space, its workbooks and listing are gone; again is a 404", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-delete");
    const space = await createSpace(env.id);
    const kept = await createSpace(env.id);
    const wb = await createWorkbook(space.id);
    assert.deepEqual(await admin.spaces.delete(space.id), { data: { success: true } });
    await expectHttpError(admin.spaces.get(space.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.workbooks.get(wb.id), { type: Flatfile.NotFoundError, status: 404 });
    assert.deepEqual(await listedIds({ environmentId: env.id }), [kept.id]);
    await expectHttpError(admin.spaces.delete(space.id), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("another environment's secret key may not delete it (404) and it survives", async () => {
    const a = await createEnvironment("sp-del-a");
    const b = await createEnvironment("sp-del-b");
    const space = await createSpace(b.env.id);
    await expectHttpError(client(a.secret.rawKey).spaces.delete(space.id), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    assert.equal((await (await adminClient()).spaces.get(space.id)).data.id, space.id);
  });
});

describe("spaces.bulkDelete", () => {
  test("spaceIds [a, b] (repeated query keys) deletes both and nothing else", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-bulk");
    const a = await createSpace(env.id);
    const b = await createSpace(env.id);
    const c = await createSpace(env.id);
    assert.deepEqual(await admin.spaces.bulkDelete({ spaceIds: [a.id, b.id] }), { data: { success: true } });
    assert.deepEqual(await listedIds({ environmentId: env.id }), [c.id]);
    await expectHttpError(admin.spaces.get(a.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.spaces.get(b.id), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("a single id (not a list) works too", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-bulk-one");
    const a = await createSpace(env.id);
    assert.deepEqual(await admin.spaces.bulkDelete({ spaceIds: a.id }), { data: { success: true } });
    assert.deepEqual(await listedIds({ environmentId: env.id }), []);
  });

  test("all or nothing: an unknown id among them is a 404 NotFoundError and nothing is deleted", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-bulk-atomic");
    const a = await createSpace(env.id);
    await expectHttpError(admin.spaces.bulkDelete({ spaceIds: [a.id, "us_sp_zzzzzzzz"] }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
    assert.equal((await admin.spaces.get(a.id)).data.id, a.id);
  });

  test("without spaceIds (sent raw; the SDK requires it) it is a 400 naming spaceIds", async () => {
    const { status, body } = await http("DELETE", "/v1/spaces", { token: await adminToken() });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "spaceIds");
  });
});

describe("spaces.archiveSpace / unarchiveSpace", () => {
  test("bodiless POSTs answer Success; archived spaces leave the default list and come back", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-archive");
    const space = await createSpace(env.id);
    const other = await createSpace(env.id);

    assert.deepEqual(await admin.spaces.archiveSpace(space.id), { data: { success: true } });
    const archived = (await admin.spaces.get(space.id)).data;
    assert.ok(archived.archivedAt instanceof Date, "archivedAt is set (a Date)");
    assert.ok(archived.updatedAt.getTime() >= space.updatedAt.getTime());
    assert.deepEqual(await listedIds({ environmentId: env.id }), [other.id]);
    assert.deepEqual(await listedIds({ environmentId: env.id, archived: false }), [other.id]);
    assert.deepEqual(await listedIds({ environmentId: env.id, archived: true }), [space.id]);

    assert.deepEqual(await admin.spaces.unarchiveSpace(space.id), { data: { success: true } });
    assert.equal((await admin.spaces.get(space.id)).data.archivedAt, undefined);
    assert.deepEqual(await listedIds({ environmentId: env.id }), [space.id, other.id]);
    assert.deepEqual(await listedIds({ environmentId: env.id, archived: true }), []);
  });

  test("an unknown space is a 404 NotFoundError for both", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.spaces.archiveSpace("us_sp_zzzzzzzz"), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.spaces.unarchiveSpace("us_sp_zzzzzzzz"), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });
});

describe("spaces.list", () => {
  test("environmentId limits the list; answers a pagination object", async () => {
    const admin = await adminClient();
    const a = await createEnvironment("sp-list-a");
    const b = await createEnvironment("sp-list-b");
    const a1 = await createSpace(a.env.id);
    const a2 = await createSpace(a.env.id);
    const b1 = await createSpace(b.env.id);
    const response = await admin.spaces.list({ environmentId: a.env.id });
    assert.deepEqual(
      response.data.map((s) => s.id),
      [a1.id, a2.id],
      "oldest first by default",
    );
    assert.deepEqual(response.pagination, { currentPage: 1, pageCount: 1, totalCount: 2 });
    for (const space of response.data) assertSpaceShape(space, { environmentId: a.env.id, name: space.name });
    assert.deepEqual(await listedIds({ environmentId: b.env.id }), [b1.id]);
  });

  test("a secret key without environmentId lists its own environment's spaces", async () => {
    const a = await createEnvironment("sp-list-sk-a");
    const b = await createEnvironment("sp-list-sk-b");
    const mine = await createSpace(a.env.id);
    await createSpace(b.env.id);
    const listed = (await client(a.secret.rawKey).spaces.list()).data.map((s) => s.id);
    assert.deepEqual(listed, [mine.id]);
    await expectHttpError(client(a.secret.rawKey).spaces.list({ environmentId: b.env.id }), { status: 404 });
  });

  test("search matches part of the name, case-insensitively", async () => {
    const { env } = await createEnvironment("sp-search");
    const tag = uniqueName("Needle").replaceAll("-", "");
    const hit = await createSpace(env.id, { name: `alpha ${tag} one` });
    const hit2 = await createSpace(env.id, { name: `${tag.toUpperCase()}` });
    await createSpace(env.id, { name: "haystack" });
    assert.deepEqual(await listedIds({ environmentId: env.id, search: tag.toLowerCase() }), [hit.id, hit2.id]);
    assert.deepEqual(await listedIds({ environmentId: env.id, search: "no such space" }), []);
  });

  test("namespace keeps the spaces of that namespace", async () => {
    const { env } = await createEnvironment("sp-namespace");
    const portal = await createSpace(env.id, { namespace: "portal" });
    await createSpace(env.id, { namespace: "other" });
    await createSpace(env.id);
    assert.deepEqual(await listedIds({ environmentId: env.id, namespace: "portal" }), [portal.id]);
  });

  test("sortField name / createdAt with sortDirection asc and desc", async () => {
    const { env } = await createEnvironment("sp-sort");
    const b = await createSpace(env.id, { name: "bravo" });
    const c = await createSpace(env.id, { name: "charlie" });
    const a = await createSpace(env.id, { name: "alpha" });
    const environmentId = env.id;
    assert.deepEqual(await listedIds({ environmentId, sortField: "name" }), [a.id, b.id, c.id]);
    assert.deepEqual(await listedIds({ environmentId, sortField: "name", sortDirection: "asc" }), [a.id, b.id, c.id]);
    assert.deepEqual(await listedIds({ environmentId, sortField: "name", sortDirection: "desc" }), [c.id, b.id, a.id]);
    assert.deepEqual(await listedIds({ environmentId, sortField: "createdAt", sortDirection: "desc" }), [
      a.id,
      c.id,
      b.id,
    ]);
  });

  test("an unknown sortField, sortDirection or archived value is a 400 naming it", async () => {
    // The SDK refuses unknown enum values before sending (JsonError), so send these raw.
    const { env } = await createEnvironment("sp-sort-bad");
    const token = await adminToken();
    for (const [query, key] of [
      ["sortField=colour", "sortField"],
      ["sortField=name&sortDirection=sideways", "sortDirection"],
      ["archived=maybe", "archived"],
    ]) {
      const { status, body } = await http("GET", `/v1/spaces?environmentId=${env.id}&${query}`, { token });
      assert.equal(status, 400, `${query}: ${JSON.stringify(body)}`);
      assert.equal(body.errors[0].key, key);
    }
  });

  test("pageSize and pageNumber page through the spaces", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-page");
    const s1 = await createSpace(env.id);
    const s2 = await createSpace(env.id);
    const s3 = await createSpace(env.id);
    const first = await admin.spaces.list({ environmentId: env.id, pageSize: 2, pageNumber: 1 });
    const second = await admin.spaces.list({ environmentId: env.id, pageSize: 2, pageNumber: 2 });
    const third = await admin.spaces.list({ environmentId: env.id, pageSize: 2, pageNumber: 3 });
    assert.deepEqual(first.data.map((s) => s.id), [s1.id, s2.id]);
    assert.deepEqual(first.pagination, { currentPage: 1, pageCount: 2, totalCount: 3 });
    assert.deepEqual(second.data.map((s) => s.id), [s3.id]);
    assert.deepEqual(second.pagination, { currentPage: 2, pageCount: 2, totalCount: 3 });
    assert.deepEqual(third.data, []);
  });

  test("workbooksCount counts the space's workbooks", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("sp-wbcount");
    const space = await createSpace(env.id);
    await createWorkbook(space.id);
    await createWorkbook(space.id);
    assert.equal((await admin.spaces.get(space.id)).data.workbooksCount, 2);
    assert.equal((await admin.spaces.list({ environmentId: env.id })).data[0].workbooksCount, 2);
  });
});

describe("workbooks.create", () => {
  test("{name, spaceId, sheets}: {data: Workbook} with the sheets stored as given", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("wb-create");
    const space = await createSpace(env.id);
    const name = uniqueName("workbook");
    const wb = (await admin.workbooks.create({ name, spaceId: space.id, sheets: SHEETS })).data;
    assertWorkbookShape(wb, { spaceId: space.id, environmentId: env.id, name });
    assert.deepEqual(wb.sheets, SHEETS);
    const got = (await admin.workbooks.get(wb.id)).data;
    assert.deepEqual(got, wb);
  });

  test("without sheets the workbook has none; labels and metadata round-trip", async () => {
    const { env } = await createEnvironment("wb-plain");
    const space = await createSpace(env.id);
    const wb = await createWorkbook(space.id, { labels: ["pinned"], metadata: { k: "v" } });
    assert.deepEqual(wb.sheets, []);
    assert.deepEqual(wb.labels, ["pinned"]);
    assert.deepEqual(wb.metadata, { k: "v" });
  });

  test("spaceId is required: 400 BadRequestError naming it", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.workbooks.create({ name: "orphan" }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "spaceId",
    });
  });

  test("a space in another environment is out of a secret key's reach (404)", async () => {
    const a = await createEnvironment("wb-iso-a");
    const b = await createEnvironment("wb-iso-b");
    const space = await createSpace(b.env.id);
    // workbooks.create maps only 400, so the 404 is a plain FlatfileError.
    await expectHttpError(client(a.secret.rawKey).workbooks.create({ name: "x", spaceId: space.id }), {
      status: 404,
    });
  });
});

describe("workbooks.list", () => {
  test("{spaceId} lists that space's workbooks only", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("wb-list");
    const s1 = await createSpace(env.id);
    const s2 = await createSpace(env.id);
    const w1 = await createWorkbook(s1.id, { sheets: SHEETS });
    const w2 = await createWorkbook(s1.id);
    const w3 = await createWorkbook(s2.id);
    const listed = (await admin.workbooks.list({ spaceId: s1.id })).data;
    assert.deepEqual(
      listed.map((w) => w.id).sort(),
      [w1.id, w2.id].sort(),
    );
    assert.equal("pagination" in (await admin.workbooks.list({ spaceId: s1.id })), false);
    assert.deepEqual(listed.find((w) => w.id === w1.id).sheets, SHEETS);
    assert.deepEqual(
      (await admin.workbooks.list({ spaceId: s2.id })).data.map((w) => w.id),
      [w3.id],
    );
  });

  test("name keeps that name; a leading - leaves it out", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("wb-name");
    const space = await createSpace(env.id);
    const orders = await createWorkbook(space.id, { name: "Orders" });
    const people = await createWorkbook(space.id, { name: "People" });
    const named = async (name) =>
      (await admin.workbooks.list({ spaceId: space.id, name })).data.map((w) => w.id);
    assert.deepEqual(await named("Orders"), [orders.id]);
    assert.deepEqual(await named("-Orders"), [people.id]);
  });

  test("an unknown space is refused (404)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.workbooks.list({ spaceId: "us_sp_zzzzzzzz" }), { status: 404 });
  });
});

describe("workbooks.get / update / delete", () => {
  test("update changes name, sheets and metadata and answers the Workbook", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("wb-update");
    const space = await createSpace(env.id);
    const wb = await createWorkbook(space.id, { sheets: SHEETS });
    const sheets = [{ name: "Only", slug: "only", fields: [{ key: "id", type: "string" }] }];
    const updated = (await admin.workbooks.update(wb.id, { name: "renamed", sheets, metadata: { m: 1 } })).data;
    assertWorkbookShape(updated, { spaceId: space.id, environmentId: env.id, name: "renamed" });
    assert.equal(updated.id, wb.id);
    assert.deepEqual(updated.sheets, sheets);
    assert.deepEqual(updated.metadata, { m: 1 });
    assert.equal(updated.createdAt.getTime(), wb.createdAt.getTime());
    assert.deepEqual((await admin.workbooks.get(wb.id)).data, updated);
  });

  test("a workbook cannot move to another space (422)", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("wb-move");
    const s1 = await createSpace(env.id);
    const s2 = await createSpace(env.id);
    const wb = await createWorkbook(s1.id);
    await expectHttpError(admin.workbooks.update(wb.id, { spaceId: s2.id }), { status: 422, key: "spaceId" });
    assert.equal((await admin.workbooks.get(wb.id)).data.spaceId, s1.id);
  });

  test("delete answers Success; then get/update/delete are 404 NotFoundError", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("wb-delete");
    const space = await createSpace(env.id);
    const wb = await createWorkbook(space.id);
    const kept = await createWorkbook(space.id);
    assert.deepEqual(await admin.workbooks.delete(wb.id), { data: { success: true } });
    await expectHttpError(admin.workbooks.get(wb.id), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.workbooks.update(wb.id, { name: "x" }), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.workbooks.delete(wb.id), { type: Flatfile.NotFoundError, status: 404 });
    assert.deepEqual(
      (await admin.workbooks.list({ spaceId: space.id })).data.map((w) => w.id),
      [kept.id],
    );
  });

  test("a malformed id is a 400 BadRequestError; another environment's key gets 404", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.workbooks.get("nope"), { type: Flatfile.BadRequestError, status: 400, key: "workbookId" });
    const a = await createEnvironment("wb-get-a");
    const b = await createEnvironment("wb-get-b");
    const wb = await createWorkbook((await createSpace(b.env.id)).id);
    await expectHttpError(client(a.secret.rawKey).workbooks.get(wb.id), { type: Flatfile.NotFoundError, status: 404 });
    assert.equal((await client(b.secret.rawKey).workbooks.get(wb.id)).data.id, wb.id);
  });
});
