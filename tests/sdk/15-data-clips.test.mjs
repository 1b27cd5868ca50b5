// Data clips through the SDK: dataClips.create/get/list/update/delete, addRecordsToClip,
// getResolutions/getResolutionIndex/updateResolution/refreshResolutions, and what a clip guest's
// token reaches. Latchkey's references and /v1/latchkey/data-clips/{id}/guests|records are
// called with fetch (the SDK strips fields it does not know).
//
// Everything lives in the test's own environment and goes with it when the hook deletes it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  FlatfileError,
  ID,
  adminClient,
  adminToken,
  client,
  createEnvironment,
  createGuest,
  createSpace,
  createWorkbook,
  expectHttpError,
  guestToken,
  http,
  installHooks,
} from "./helpers.mjs";

installHooks();

const ORDERS = "us_sh_orders1";
const CUSTOMERS = "us_sh_customers1";
const CLIP = /^us_clip_[A-Za-z0-9]+$/;

/**
 * An environment with a space whose workbook lists two sheets by id (set through
 * workbooks.update, whose SheetUpdate carries `id`), and a guest with no space grant.
 */
async function world(prefix) {
  const { env, secret } = await createEnvironment(prefix);
  const space = await createSpace(env.id);
  const wb = await createWorkbook(space.id);
  const other = await createWorkbook(space.id);
  const admin = await adminClient();
  const sheets = [
    { id: ORDERS, name: "Orders", slug: "orders", fields: [] },
    { id: CUSTOMERS, name: "Customers", slug: "customers", fields: [] },
  ];
  await admin.workbooks.update(wb.id, { sheets });
  const guest = await createGuest(env.id, []);
  return { env, secret, space, wb, other, guest, sdk: client(secret.rawKey) };
}

describe("dataClips", () => {
  test("create answers the bare DataClip of the sheet's workbook; get answers {data}", async () => {
    const w = await world("clips-create");
    const clip = await w.sdk.dataClips.create({ name: "Late orders", description: "d", sourceSheetId: ORDERS });
    assert.match(clip.id, CLIP);
    assert.equal(clip.name, "Late orders");
    assert.equal(clip.description, "d");
    assert.equal(clip.sourceSheetId, ORDERS);
    assert.match(clip.clipSheetId, /^us_sh_/);
    assert.equal(clip.workbookId, w.wb.id);
    assert.equal(clip.status, "open");
    assert.equal(clip.sharedLinkAccess, "restricted");
    assert.match(clip.createdBy, ID.key);
    assert.ok(clip.createdAt instanceof Date && clip.updatedAt instanceof Date);
    const got = (await w.sdk.dataClips.get(clip.id)).data;
    assert.equal(got.id, clip.id);
    assert.equal(got.workbookId, w.wb.id);
    await expectHttpError(w.sdk.dataClips.create({ name: "x", sourceSheetId: "us_sh_unknown" }), {
      type: Flatfile.NotFoundError,
      status: 404,
      message: /workbookId/,
    });
  });

  test("list filters by spaceId, sheetId and status and answers [{data: DataClip}]", async () => {
    const w = await world("clips-list");
    const a = await w.sdk.dataClips.create({ name: "a", sourceSheetId: ORDERS });
    const b = await w.sdk.dataClips.create({ name: "b", sourceSheetId: CUSTOMERS });
    const all = (await w.sdk.dataClips.list({ spaceId: w.space.id })).data;
    assert.deepEqual(all.map((c) => c.data.id), [a.id, b.id]);
    const bySheet = (await w.sdk.dataClips.list({ sheetId: CUSTOMERS })).data;
    assert.deepEqual(bySheet.map((c) => c.data.id), [b.id]);
    await w.sdk.dataClips.update(a.id, { name: "a", status: "merged" });
    const merged = (await w.sdk.dataClips.list({ spaceId: w.space.id, status: "merged" })).data;
    assert.deepEqual(merged.map((c) => c.data.id), [a.id]);
    assert.ok(merged[0].data.mergedAt instanceof Date);
  });

  test("update changes name, description, status, collaborators and sharedLinkAccess", async () => {
    const w = await world("clips-update");
    const clip = await w.sdk.dataClips.create({ name: "a", sourceSheetId: ORDERS });
    const updated = (
      await w.sdk.dataClips.update(clip.id, {
        name: "b",
        description: "now",
        status: "review",
        collaborators: [w.guest.id],
        sharedLinkAccess: "public",
      })
    ).data;
    assert.equal(updated.name, "b");
    assert.equal(updated.description, "now");
    assert.equal(updated.status, "review");
    assert.equal(updated.sharedLinkAccess, "public");
    assert.deepEqual(updated.collaborators, [w.guest.id]);
    await expectHttpError(w.sdk.dataClips.update(clip.id, { name: "c", collaborators: ["us_usr_nobody"] }), {
      status: 400,
      key: "collaborators",
    });
  });

  test("addRecordsToClip adds records; the resolutions methods read and change them", async () => {
    const w = await world("clips-records");
    const clip = await w.sdk.dataClips.create({ name: "a", sourceSheetId: ORDERS });
    const added = await w.sdk.dataClips.addRecordsToClip(clip.id, { recordIds: ["us_rc_b", "us_rc_a"] });
    assert.equal(added.success, true);
    const resolutions = (await w.sdk.dataClips.getResolutions(clip.id)).data;
    assert.deepEqual(resolutions.map((r) => r.id), ["us_rc_a", "us_rc_b"]);
    assert.deepEqual(resolutions[0].values, {});
    const ok = await w.sdk.dataClips.updateResolution(clip.id, {
      resolvedRecords: [{ recordId: "us_rc_b", resolves: [{ field: "total", type: "conflict", resolveTo: "clip" }] }],
    });
    assert.equal(ok.data.success, true);
    const conflicts = (await w.sdk.dataClips.getResolutions(clip.id, { filterConflicts: true })).data;
    assert.deepEqual(conflicts.map((r) => r.id), ["us_rc_b"]);
    assert.equal(conflicts[0].resolves[0].resolveTo, "clip");
    const paged = (await w.sdk.dataClips.getResolutions(clip.id, { pageSize: 1, pageNumber: 2 })).data;
    assert.deepEqual(paged.map((r) => r.id), ["us_rc_b"]);
    const index = await w.sdk.dataClips.getResolutionIndex(clip.id, { id: "us_rc_b", filterConflicts: "false" });
    assert.equal(index.index, 1);
    assert.equal((await w.sdk.dataClips.refreshResolutions(clip.id)).data.success, true);
    await expectHttpError(
      w.sdk.dataClips.updateResolution(clip.id, { resolvedRecords: [{ recordId: "us_rc_zz", resolves: [] }] }),
      { status: 422, key: "resolvedRecords.recordId" },
    );
  });

  test("delete removes the clip; get then answers 404", async () => {
    const w = await world("clips-delete");
    const clip = await w.sdk.dataClips.create({ name: "a", sourceSheetId: ORDERS });
    assert.equal((await w.sdk.dataClips.delete(clip.id)).data.success, true);
    await expectHttpError(w.sdk.dataClips.get(clip.id), { status: 404 });
  });
});

describe("a data clip's guest", () => {
  test("reaches the clip, writes its records, reads its references, and nothing else", async () => {
    const w = await world("clips-guest");
    const made = await http("POST", "/v1/data-clips", {
      token: w.secret.rawKey,
      json: {
        name: "shared",
        sourceSheetId: ORDERS,
        collaborators: [w.guest.id],
        recordIds: ["us_rc_o1"],
        references: [{ sheetId: CUSTOMERS, recordIds: ["us_rc_c1"] }],
      },
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const clipId = made.body.id;
    const guest = client(await guestToken(w.guest.id));
    assert.equal((await guest.dataClips.get(clipId)).data.id, clipId);
    assert.deepEqual((await guest.dataClips.list()).data.map((c) => c.data.id), [clipId]);
    assert.deepEqual((await guest.dataClips.getResolutions(clipId)).data.map((r) => r.id), ["us_rc_o1"]);
    await guest.dataClips.updateResolution(clipId, { resolvedRecords: [{ recordId: "us_rc_o1", resolves: [] }] });
    const token = await guestToken(w.guest.id);
    const recordPath = (sheet, id) => `/v1/latchkey/data-clips/${clipId}/records/${id}?sheetId=${sheet}`;
    assert.equal((await http("GET", recordPath(ORDERS, "us_rc_o1"), { token })).body.data.access, "write");
    assert.equal((await http("GET", recordPath(CUSTOMERS, "us_rc_c1"), { token })).body.data.access, "read");
    assert.equal((await http("GET", recordPath(ORDERS, "us_rc_o2"), { token })).status, 403);
    await expectHttpError(guest.workbooks.get(w.wb.id), { status: 403 });
    await expectHttpError(guest.workbooks.get(w.other.id), { status: 403 });
    await expectHttpError(guest.spaces.get(w.space.id), { status: 403 });
    await expectHttpError(guest.dataClips.update(clipId, { name: "mine" }), { status: 403 });
    await expectHttpError(guest.dataClips.addRecordsToClip(clipId, { recordIds: ["us_rc_x"] }), {
      type: FlatfileError,
      status: 403,
    });
    // Removed through the official client's collaborators: refused on the next request.
    await w.sdk.dataClips.update(clipId, { name: "shared", collaborators: [] });
    await expectHttpError(guest.dataClips.get(clipId), { status: 403 });
    const members = await http("GET", `/v1/latchkey/data-clips/${clipId}/guests`, { token: await adminToken() });
    assert.deepEqual(members.body.data, []);
  });
});
