// Guests through the SDK: guests.list/create/get/update/delete, getGuestToken and what the guest
// token reaches (spaces.get, workbooks.get), and listGuestRoles/assignGuestRole/deleteGuestRole.
//
// Guests live in the test's own environment and go with it when the hook deletes it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Flatfile,
  ID,
  adminClient,
  adminSession,
  client,
  createEnvironment,
  createGuest,
  createSpace,
  createWorkbook,
  expectHttpError,
  guestToken,
  http,
  installHooks,
  jwtPayload,
  uniqueEmail,
} from "./helpers.mjs";

installHooks();

const GUEST_ROLE = "us_rol_guest";

/** An environment with two spaces; the first has two workbooks. */
async function world(prefix) {
  const { env, secret } = await createEnvironment(prefix);
  const s1 = await createSpace(env.id);
  const s2 = await createSpace(env.id);
  const wb1 = await createWorkbook(s1.id);
  const wb2 = await createWorkbook(s1.id);
  return { env, secret, s1, s2, wb1, wb2 };
}

function assertGuestShape(guest, { environmentId, email, name }) {
  assert.match(guest.id, ID.guest);
  assert.equal(guest.environmentId, environmentId);
  assert.equal(guest.email, email);
  if (name !== undefined) assert.equal(guest.name, name);
  assert.ok(Array.isArray(guest.spaces), "spaces is a list");
  assert.ok(guest.createdAt instanceof Date, "the SDK turned createdAt into a Date");
  assert.ok(guest.updatedAt instanceof Date, "the SDK turned updatedAt into a Date");
}

/** A guest's grants as [spaceId, workbookIds | undefined] pairs, sorted by space id. */
function grants(guest) {
  return guest.spaces
    .map((s) => [s.id, s.workbooks?.map((w) => w.id)])
    .sort(([a], [b]) => a.localeCompare(b));
}

function sortedPairs(pairs) {
  return [...pairs].sort(([a], [b]) => a.localeCompare(b));
}

async function guestIds(spaceId, email) {
  const admin = await adminClient();
  return (await admin.guests.list(email === undefined ? { spaceId } : { spaceId, email })).data.map((g) => g.id);
}

describe("guests.create", () => {
  test("a single-space guest: {data: [Guest]} with the grant as given", async () => {
    const admin = await adminClient();
    const { env, s1 } = await world("g-single");
    const email = uniqueEmail("guest");
    const response = await admin.guests.create([
      { environmentId: env.id, email, name: "Single Space", spaces: [{ id: s1.id }] },
    ]);
    assert.equal(response.data.length, 1);
    const [guest] = response.data;
    assertGuestShape(guest, { environmentId: env.id, email, name: "Single Space" });
    assert.deepEqual(guest.spaces, [{ id: s1.id }], "a space-only grant has no workbooks");
    assert.deepEqual((await admin.guests.get(guest.id)).data, guest);
    assert.deepEqual(await guestIds(s1.id), [guest.id]);
  });

  test("a multi-space guest is listed in each space", async () => {
    const { env, s1, s2 } = await world("g-multi");
    const guest = await createGuest(env.id, [{ id: s1.id }, { id: s2.id }]);
    assert.deepEqual(grants(guest), sortedPairs([[s1.id, undefined], [s2.id, undefined]]));
    assert.deepEqual(await guestIds(s1.id), [guest.id]);
    assert.deepEqual(await guestIds(s2.id), [guest.id]);
  });

  test("single- and multi-workbook guests keep their workbook lists", async () => {
    const { env, s1, wb1, wb2 } = await world("g-wb");
    const one = await createGuest(env.id, [{ id: s1.id, workbooks: [{ id: wb1.id }] }]);
    assert.deepEqual(one.spaces, [{ id: s1.id, workbooks: [{ id: wb1.id }] }]);
    const two = await createGuest(env.id, [{ id: s1.id, workbooks: [{ id: wb1.id }, { id: wb2.id }] }]);
    assert.deepEqual(two.spaces, [{ id: s1.id, workbooks: [{ id: wb1.id }, { id: wb2.id }] }]);
    const admin = await adminClient();
    assert.deepEqual((await admin.guests.get(two.id)).data.spaces, two.spaces);
  });

  test("several guests in one request", async () => {
    const admin = await adminClient();
    const { env, s1 } = await world("g-batch");
    const emails = [uniqueEmail("batch"), uniqueEmail("batch")];
    const created = (
      await admin.guests.create(
        emails.map((email, i) => ({ environmentId: env.id, email, name: `Batch ${i}`, spaces: [{ id: s1.id }] })),
      )
    ).data;
    assert.deepEqual(
      created.map((g) => g.email),
      emails,
    );
    assert.notEqual(created[0].id, created[1].id);
    assert.deepEqual((await guestIds(s1.id)).sort(), created.map((g) => g.id).sort());
  });

  test("an existing email adds the new spaces to the same guest", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-merge");
    const email = uniqueEmail("merge");
    const first = await createGuest(env.id, [{ id: s1.id }], { email });
    const second = (
      await admin.guests.create([{ environmentId: env.id, email, name: "Merged Name", spaces: [{ id: s2.id }] }])
    ).data[0];
    assert.equal(second.id, first.id, "the same guest, not a duplicate");
    assert.equal(second.name, "Merged Name");
    assert.deepEqual(grants(second), sortedPairs([[s1.id, undefined], [s2.id, undefined]]));
    assert.deepEqual(await guestIds(s1.id), [first.id]);
    assert.deepEqual(await guestIds(s2.id), [first.id]);
  });

  test("a space of another environment is refused (404) and no guest is made", async () => {
    const admin = await adminClient();
    const a = await world("g-cross-a");
    const b = await world("g-cross-b");
    const email = uniqueEmail("cross");
    // guests.create maps no statuses, so this is a plain FlatfileError.
    await expectHttpError(
      admin.guests.create([{ environmentId: a.env.id, email, name: "Cross", spaces: [{ id: b.s1.id }] }]),
      { status: 404 },
    );
    assert.deepEqual(await guestIds(b.s1.id), []);
  });
});

describe("guests.list", () => {
  test("{spaceId, email} narrows to that guest; an unused space lists nothing", async () => {
    const { env, s1, s2 } = await world("g-list");
    const a = await createGuest(env.id, [{ id: s1.id }]);
    const b = await createGuest(env.id, [{ id: s1.id }]);
    assert.deepEqual((await guestIds(s1.id)).sort(), [a.id, b.id].sort());
    assert.deepEqual(await guestIds(s1.id, a.email), [a.id]);
    assert.deepEqual(await guestIds(s1.id, uniqueEmail("nobody")), []);
    assert.deepEqual(await guestIds(s2.id), []);
    const admin = await adminClient();
    const listed = await admin.guests.list({ spaceId: s1.id, email: b.email });
    assert.equal("pagination" in listed, false);
    assert.deepEqual(listed.data, [b]);
  });

  test("an unknown space is refused (404)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.guests.list({ spaceId: "us_sp_zzzzzzzz" }), { status: 404 });
  });
});

describe("guests.get / update", () => {
  test("update changes the name; spaces, when given, replace every grant", async () => {
    const admin = await adminClient();
    const { env, s1, s2, wb1 } = await world("g-update");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const renamed = (await admin.guests.update(guest.id, { name: "New Name" })).data;
    assert.equal(renamed.name, "New Name");
    assert.deepEqual(renamed.spaces, guest.spaces, "spaces left out stay");
    assert.ok(renamed.updatedAt.getTime() >= guest.updatedAt.getTime());

    const moved = (
      await admin.guests.update(guest.id, { spaces: [{ id: s2.id }, { id: s1.id, workbooks: [{ id: wb1.id }] }] })
    ).data;
    assert.deepEqual(grants(moved), sortedPairs([[s2.id, undefined], [s1.id, [wb1.id]]]));
    assert.deepEqual((await admin.guests.get(guest.id)).data, moved);
  });

  test("an unknown guest is a 404 (FlatfileError: guests.get maps no statuses)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.guests.get("us_g_zzzzzzzz"), { status: 404 });
    await expectHttpError(admin.guests.update("us_g_zzzzzzzz", { name: "x" }), { status: 404 });
  });

  test("another environment's secret key gets 404; its own reads the guest", async () => {
    const a = await world("g-iso-a");
    const b = await world("g-iso-b");
    const guest = await createGuest(b.env.id, [{ id: b.s1.id }]);
    await expectHttpError(client(a.secret.rawKey).guests.get(guest.id), { status: 404 });
    assert.equal((await client(b.secret.rawKey).guests.get(guest.id)).data.id, guest.id);
  });
});

describe("guests.delete", () => {
  test("with {spaceId}: only that space's access goes; the guest stays", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-del-space");
    const guest = await createGuest(env.id, [{ id: s1.id }, { id: s2.id }]);
    assert.deepEqual(await admin.guests.delete(guest.id, { spaceId: s1.id }), { data: { success: true } });
    const after = (await admin.guests.get(guest.id)).data;
    assert.deepEqual(after.spaces, [{ id: s2.id }]);
    assert.deepEqual(await guestIds(s1.id), []);
    assert.deepEqual(await guestIds(s2.id), [guest.id]);
  });

  test("without spaceId: the guest and all its access are gone; again is a 404", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-del");
    const guest = await createGuest(env.id, [{ id: s1.id }, { id: s2.id }]);
    const token = await guestToken(guest.id, s1.id);
    assert.deepEqual(await admin.guests.delete(guest.id), { data: { success: true } });
    await expectHttpError(admin.guests.get(guest.id), { status: 404 });
    assert.deepEqual(await guestIds(s1.id), []);
    assert.deepEqual(await guestIds(s2.id), []);
    await expectHttpError(client(token).spaces.get(s1.id), { status: 401 });
    await expectHttpError(admin.guests.delete(guest.id), { status: 404 });
  });
});

describe("guests.getGuestToken", () => {
  test("{spaceId}: {data: {token, valid: true}}; the token reads that space, not others (403)", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-token");
    const guest = await createGuest(env.id, [{ id: s1.id }, { id: s2.id }]);
    const response = await admin.guests.getGuestToken(guest.id, { spaceId: s1.id });
    assert.deepEqual(Object.keys(response.data).sort(), ["token", "valid"]);
    assert.equal(response.data.valid, true);
    assert.match(response.data.token, ID.jwt);
    const claims = jwtPayload(response.data.token);
    assert.equal(claims.sub, guest.id);
    assert.equal(claims.exp - claims.iat, 3600, "guest tokens last one hour");

    const asGuest = client(response.data.token);
    const space = (await asGuest.spaces.get(s1.id)).data;
    assert.equal(space.id, s1.id);
    // spaces.get maps only 400 and 404 to classes, so a 403 is a plain FlatfileError.
    await expectHttpError(asGuest.spaces.get(s2.id), { status: 403, message: /limited to space/ });
  });

  test("without spaceId the token reaches every granted space and no ungranted one", async () => {
    const { env, s1, s2 } = await world("g-token-all");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const asGuest = client(await guestToken(guest.id));
    assert.equal((await asGuest.spaces.get(s1.id)).data.id, s1.id);
    await expectHttpError(asGuest.spaces.get(s2.id), { status: 403, message: /lacks space/ });
    assert.deepEqual(
      (await asGuest.spaces.list({ environmentId: env.id })).data.map((s) => s.id),
      [s1.id],
      "a guest lists only its spaces",
    );
  });

  test("a workbook grant reaches only the granted workbook (workbooks.get: 403 FlatfileError)", async () => {
    const { env, s1, wb1, wb2 } = await world("g-token-wb");
    const guest = await createGuest(env.id, [{ id: s1.id, workbooks: [{ id: wb1.id }] }]);
    const asGuest = client(await guestToken(guest.id, s1.id));
    assert.equal((await asGuest.workbooks.get(wb1.id)).data.id, wb1.id);
    // workbooks.get maps only 400 and 404, so the 403 is a plain FlatfileError.
    await expectHttpError(asGuest.workbooks.get(wb2.id), { status: 403, message: /lacks workbook/ });
    assert.deepEqual(
      (await asGuest.workbooks.list({ spaceId: s1.id })).data.map((w) => w.id),
      [wb1.id],
    );
  });

  test("a space-only grant reaches every workbook of the space", async () => {
    const { env, s1, wb1, wb2 } = await world("g-token-space-wb");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const asGuest = client(await guestToken(guest.id, s1.id));
    assert.equal((await asGuest.workbooks.get(wb1.id)).data.id, wb1.id);
    assert.equal((await asGuest.workbooks.get(wb2.id)).data.id, wb2.id);
  });

  test("a guest token may not manage anything (403)", async () => {
    const { env, s1 } = await world("g-token-limits");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const asGuest = client(await guestToken(guest.id, s1.id));
    await expectHttpError(asGuest.spaces.update(s1.id, { name: "mine now" }), { status: 403 });
    await expectHttpError(asGuest.spaces.delete(s1.id), { status: 403 });
    await expectHttpError(asGuest.guests.getGuestToken(guest.id, { spaceId: s1.id }), { status: 403 });
    await expectHttpError(asGuest.secrets.list({ environmentId: env.id }), { status: 403 });
    assert.equal((await asGuest.guests.get(guest.id)).data.id, guest.id, "a guest may read itself");
  });

  test("a space the guest lacks is a 404 (FlatfileError)", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-token-none");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    await expectHttpError(admin.guests.getGuestToken(guest.id, { spaceId: s2.id }), { status: 404 });
  });

  test("the token stops working when the grant is removed", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-token-revoke");
    const guest = await createGuest(env.id, [{ id: s1.id }, { id: s2.id }]);
    const asGuest = client(await guestToken(guest.id));
    assert.equal((await asGuest.spaces.get(s1.id)).data.id, s1.id);
    await admin.guests.delete(guest.id, { spaceId: s1.id });
    await expectHttpError(asGuest.spaces.get(s1.id), { status: 403 });
    assert.equal((await asGuest.spaces.get(s2.id)).data.id, s2.id);
  });
});

describe("guest roles", () => {
  test("listGuestRoles: one us_rol_guest ActorRole per granted space", async () => {
    const admin = await adminClient();
    const { env, s1, s2, wb1 } = await world("g-roles");
    const guest = await createGuest(env.id, [{ id: s1.id, workbooks: [{ id: wb1.id }] }, { id: s2.id }]);
    const roles = (await admin.guests.listGuestRoles(guest.id)).data;
    assert.equal(roles.length, 2);
    for (const role of roles) {
      assert.match(role.id, ID.actorRole);
      assert.equal(role.roleId, GUEST_ROLE);
      assert.equal(role.actorId, guest.id);
      assert.ok(role.createdAt instanceof Date);
      assert.ok(role.updatedAt instanceof Date);
    }
    assert.deepEqual(roles.map((r) => r.resourceId).sort(), [s1.id, s2.id].sort());
  });

  test("assignGuestRole({roleId: us_rol_guest, resourceId: spaceId}) grants the whole space", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-assign");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const assigned = (await admin.guests.assignGuestRole(guest.id, { roleId: GUEST_ROLE, resourceId: s2.id })).data;
    assert.match(assigned.id, ID.actorRole);
    assert.equal(assigned.roleId, GUEST_ROLE);
    assert.equal(assigned.actorId, guest.id);
    assert.equal(assigned.resourceId, s2.id);
    assert.ok(assigned.createdAt instanceof Date);

    assert.deepEqual(grants((await admin.guests.get(guest.id)).data), sortedPairs([[s1.id, undefined], [s2.id, undefined]]));
    assert.ok((await admin.guests.listGuestRoles(guest.id)).data.some((r) => r.id === assigned.id));
    assert.deepEqual(await guestIds(s2.id), [guest.id]);
    const asGuest = client(await guestToken(guest.id, s2.id));
    assert.equal((await asGuest.spaces.get(s2.id)).data.id, s2.id);
  });

  test("deleteGuestRole removes that grant (Success) and the token loses the space", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-unassign");
    const guest = await createGuest(env.id, [{ id: s1.id }, { id: s2.id }]);
    const roles = (await admin.guests.listGuestRoles(guest.id)).data;
    const s2Role = roles.find((r) => r.resourceId === s2.id);
    const asGuest = client(await guestToken(guest.id));
    assert.deepEqual(await admin.guests.deleteGuestRole(guest.id, s2Role.id), { data: { success: true } });
    assert.deepEqual(
      (await admin.guests.listGuestRoles(guest.id)).data.map((r) => r.resourceId),
      [s1.id],
    );
    assert.deepEqual((await admin.guests.get(guest.id)).data.spaces, [{ id: s1.id }]);
    await expectHttpError(asGuest.spaces.get(s2.id), { status: 403 });
    await expectHttpError(admin.guests.deleteGuestRole(guest.id, s2Role.id), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("another role or a non-space resource is a 400 BadRequestError naming the field", async () => {
    const admin = await adminClient();
    const { env, s1, s2 } = await world("g-assign-bad");
    const { accountId } = await adminSession();
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const adminRole = (await admin.roles.list()).data.find((r) => r.name === "Administrator");
    await expectHttpError(admin.guests.assignGuestRole(guest.id, { roleId: adminRole.id, resourceId: s2.id }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "roleId",
    });
    await expectHttpError(admin.guests.assignGuestRole(guest.id, { roleId: GUEST_ROLE, resourceId: accountId }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "resourceId",
    });
    assert.deepEqual((await admin.guests.get(guest.id)).data.spaces, [{ id: s1.id }]);
  });

  test("an unknown guest is a 404 NotFoundError for the role methods", async () => {
    const admin = await adminClient();
    const { s1 } = await world("g-roles-unknown");
    await expectHttpError(admin.guests.listGuestRoles("us_g_zzzzzzzz"), { type: Flatfile.NotFoundError, status: 404 });
    await expectHttpError(admin.guests.assignGuestRole("us_g_zzzzzzzz", { roleId: GUEST_ROLE, resourceId: s1.id }), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("a guest token may not assign itself roles (403 ForbiddenError)", async () => {
    const { env, s1, s2 } = await world("g-roles-self");
    const guest = await createGuest(env.id, [{ id: s1.id }]);
    const asGuest = client(await guestToken(guest.id, s1.id));
    await expectHttpError(asGuest.guests.assignGuestRole(guest.id, { roleId: GUEST_ROLE, resourceId: s2.id }), {
      type: Flatfile.ForbiddenError,
      status: 403,
    });
  });
});

describe("guest access through the raw API", () => {
  test("GET /v1/guests without spaceId is a 400 naming it (the SDK requires it)", async () => {
    const { status, body } = await http("GET", "/v1/guests", { token: (await adminSession()).accessToken });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "spaceId");
  });
});
