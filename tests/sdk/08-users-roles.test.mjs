// Team members through the SDK: roles.list, users.list/createAndInvite/get/update/delete/
// resendInvite, users.listUserRoles/assignUserRole/deleteUserRole, accounts.getCurrent/
// updateCurrent, what a Member may do, and Latchkey's invitation flow (GET /v1/latchkey/outbox,
// POST /v1/latchkey/password; fetch).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ADMIN_EMAIL,
  Flatfile,
  ID,
  adminClient,
  adminSession,
  adminToken,
  client,
  createEnvironment,
  createPat,
  expectHttpError,
  http,
  installHooks,
  invitationFor,
  inviteUser,
  login,
  roleId,
  setPassword,
  trackUser,
  uniqueEmail,
  uniqueName,
} from "./helpers.mjs";

installHooks();

function assertUserShape(user) {
  assert.match(user.id, ID.user);
  assert.match(user.accountId, ID.account);
  assert.equal(typeof user.email, "string");
  assert.equal(typeof user.name, "string");
  assert.equal(typeof user.idp, "string");
  assert.equal(typeof user.metadata, "object");
  assert.ok(user.createdAt instanceof Date, "the SDK turned createdAt into a Date");
  assert.ok(user.updatedAt instanceof Date, "the SDK turned updatedAt into a Date");
}

function assertActorRoleShape(actorRole, { actorId, roleId: expectedRole, resourceId }) {
  assert.match(actorRole.id, ID.actorRole);
  assert.equal(actorRole.actorId, actorId);
  assert.equal(actorRole.roleId, expectedRole);
  assert.equal(actorRole.resourceId, resourceId);
  assert.ok(actorRole.createdAt instanceof Date);
  assert.ok(actorRole.updatedAt instanceof Date);
}

async function whoami(token) {
  const { status, body } = await http("GET", "/v1/latchkey/whoami", { token });
  assert.equal(status, 200);
  return body.data;
}

describe("roles.list", () => {
  test("Administrator, Member and Guest with fixed ids in the account", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const roles = (await admin.roles.list()).data;
    assert.deepEqual(
      roles.map((r) => [r.name, r.id]),
      [
        ["Administrator", "us_rol_admin"],
        ["Member", "us_rol_member"],
        ["Guest", "us_rol_guest"],
      ],
    );
    for (const role of roles) {
      assert.match(role.id, ID.role);
      assert.equal(role.accountId, accountId);
      assert.ok(role.createdAt instanceof Date);
      assert.ok(role.updatedAt instanceof Date);
    }
  });

  test("a Member may list roles; an environment key may not (403)", async () => {
    const member = await inviteUser({ prefix: "roles" });
    assert.equal((await member.sdk.roles.list()).data.length, 3);
    const { secret } = await createEnvironment("roles-sk");
    await expectHttpError(client(secret.rawKey).roles.list(), { status: 403 });
  });
});

describe("users.createAndInvite and accepting the invitation", () => {
  test("answers {data: UserWithRoles}; the mail's lt_ link sets the password once; then the user logs in", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const email = uniqueEmail("invite");
    const name = `Invitee ${uniqueName("n")}`;
    const memberRole = await roleId("Member");
    const created = (
      await admin.users.createAndInvite({ email, name, actorRoles: [{ roleId: memberRole, resourceId: accountId }] })
    ).data;
    trackUser(created.id);

    assertUserShape(created);
    assert.equal(created.email, email);
    assert.equal(created.name, name);
    assert.equal(created.accountId, accountId);
    assert.equal(created.actorRoles.length, 1);
    assertActorRoleShape(created.actorRoles[0], { actorId: created.id, roleId: memberRole, resourceId: accountId });

    // Before the invitation is accepted the user has no password.
    await expectHttpError(login(email, "any-password-at-all"), { status: 401, key: "invalid-credentials" });

    const { mail, token } = await invitationFor(email);
    assert.equal(mail.to, email);
    assert.equal(typeof mail.subject, "string");
    assert.match(mail.createdAt, ID.isoMillis);
    assert.match(token, ID.linkToken);
    assert.ok(mail.body.includes(name), "the mail greets the invitee by name");

    const password = `first-password-${uniqueName("p")}`;
    const redeemed = await setPassword(token, password);
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    assert.equal(redeemed.body.data.success, true);
    assert.equal(redeemed.body.data.email, email);

    const again = await setPassword(token, "another-password-123");
    assert.equal(again.status, 400, JSON.stringify(again.body));
    assert.equal(again.body.errors[0].key, "token");

    const session = await login(email, password);
    assert.equal(session.userId, created.id);
    assert.equal(session.email, email);
    assert.equal(session.accountId, accountId);
    await expectHttpError(login(email, "another-password-123"), { status: 401, key: "invalid-credentials" });
    assert.equal((await whoami(session.accessToken)).role, "Member");
  });

  test("an Administrator invitation makes an Administrator", async () => {
    const invited = await inviteUser({ role: "Administrator", prefix: "invite-admin" });
    assert.equal(invited.user.actorRoles[0].roleId, await roleId("Administrator"));
    assert.equal((await whoami(invited.session.accessToken)).role, "Administrator");
    const keys = await invited.sdk.auth.getApiKeys({ environmentId: (await createEnvironment("inv-admin")).env.id });
    assert.equal(keys.data.length, 2, "the new Administrator sees API keys");
  });

  test("a password shorter than 8 characters is a 422 and does not use up the link", async () => {
    const { email } = await inviteUser({ prefix: "short-pw", accept: false });
    const { token } = await invitationFor(email);
    const short = await setPassword(token, "short");
    assert.equal(short.status, 422, JSON.stringify(short.body));
    assert.equal(short.body.errors[0].key, "password");
    const ok = await setPassword(token, "long-enough-password");
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await login(email, "long-enough-password")).email, email);
  });

  test("an unknown or malformed link token is a 400 naming token", async () => {
    const malformed = await setPassword("lt_not-a-token", "long-enough-password");
    assert.equal(malformed.status, 400, JSON.stringify(malformed.body));
    assert.equal(malformed.body.errors[0].key, "token");
  });

  test("the same email twice is a 409; the email is matched case-insensitively", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const { email } = await inviteUser({ prefix: "dupe", accept: false });
    await expectHttpError(
      admin.users.createAndInvite({
        email: email.toUpperCase(),
        name: "Again",
        actorRoles: [{ roleId: await roleId("Member"), resourceId: accountId }],
      }),
      { status: 409 },
    );
    await expectHttpError(
      admin.users.createAndInvite({
        email: ADMIN_EMAIL,
        name: "Again",
        actorRoles: [{ roleId: await roleId("Member"), resourceId: accountId }],
      }),
      { status: 409 },
    );
  });

  test("the Guest role, or a resource other than the account, is a 400 (users maps no statuses)", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const { env } = await createEnvironment("invite-env");
    await expectHttpError(
      admin.users.createAndInvite({
        email: uniqueEmail("guest-role"),
        name: "Guest",
        actorRoles: [{ roleId: await roleId("Guest"), resourceId: accountId }],
      }),
      { status: 400, key: "roleId" },
    );
    await expectHttpError(
      admin.users.createAndInvite({
        email: uniqueEmail("env-role"),
        name: "Env",
        actorRoles: [{ roleId: await roleId("Member"), resourceId: env.id }],
      }),
      { status: 400, key: "resourceId" },
    );
    await expectHttpError(
      admin.users.createAndInvite({
        email: "not-an-email",
        name: "Bad",
        actorRoles: [{ roleId: await roleId("Member"), resourceId: accountId }],
      }),
      { status: 400, key: "email" },
    );
  });

  test("no actorRoles makes a Member", async () => {
    const admin = await adminClient();
    const created = (await admin.users.createAndInvite({ email: uniqueEmail("no-role"), name: "Plain", actorRoles: [] }))
      .data;
    trackUser(created.id);
    assert.equal(created.actorRoles[0].roleId, await roleId("Member"));
  });
});

describe("users.resendInvite", () => {
  test("answers Success and mails a new link that works", async () => {
    const admin = await adminClient();
    const { user, email } = await inviteUser({ prefix: "resend", accept: false });
    const { token: first } = await invitationFor(email);
    assert.deepEqual(await admin.users.resendInvite(user.id), { data: { success: true } });
    const { token: second } = await invitationFor(email);
    assert.match(second, ID.linkToken);
    assert.notEqual(second, first, "the resent mail carries a new link");
    const redeemed = await setPassword(second, "resent-link-password");
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    assert.equal((await login(email, "resent-link-password")).userId, user.id);
  });

  test(
    "once the invitation is accepted, an earlier link no longer sets the password",
    async () => {
      const admin = await adminClient();
      const { user, email } = await inviteUser({ prefix: "stale-link", accept: false });
      const { token: first } = await invitationFor(email);
      await admin.users.resendInvite(user.id);
      const { token: second } = await invitationFor(email);
      assert.equal((await setPassword(second, "accepted-password")).status, 200);
      const stale = await setPassword(first, "overwritten-password");
      assert.equal(stale.status, 400, `the earlier link still worked: ${JSON.stringify(stale.body)}`);
      assert.equal((await login(email, "accepted-password")).userId, user.id, "the accepted password stands");
    },
  );

  test("after the invitation was accepted it is a 409", async () => {
    const admin = await adminClient();
    const { user } = await inviteUser({ prefix: "resend-done" });
    await expectHttpError(admin.users.resendInvite(user.id), { status: 409 });
  });

  test("an unknown user is a 404; a Member may not resend (403)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.users.resendInvite("us_usr_zzzzzzzz"), { status: 404 });
    const member = await inviteUser({ prefix: "resend-member" });
    const pending = await inviteUser({ prefix: "resend-pending", accept: false });
    await expectHttpError(member.sdk.users.resendInvite(pending.user.id), { status: 403 });
  });
});

describe("users.list", () => {
  test("lists users with their roles and a pagination object", async () => {
    const admin = await adminClient();
    const session = await adminSession();
    const invited = await inviteUser({ prefix: "list" });
    const response = await admin.users.list({ pageSize: 100 });
    response.data.forEach(assertUserShape);
    const me = response.data.find((u) => u.id === session.userId);
    assert.ok(me, "the Administrator is listed");
    assert.equal(me.email, ADMIN_EMAIL);
    assert.equal(me.actorRoles[0].roleId, await roleId("Administrator"));
    const them = response.data.find((u) => u.id === invited.user.id);
    assert.ok(them, "the invited user is listed");
    assert.equal(them.email, invited.email);
    assert.deepEqual(response.pagination, { currentPage: 1, pageCount: 1, totalCount: response.data.length });
  });

  test("pageSize and pageNumber page through the users", async () => {
    const admin = await adminClient();
    await inviteUser({ prefix: "page-a", accept: false });
    await inviteUser({ prefix: "page-b", accept: false });
    const all = await admin.users.list({ pageSize: 100 });
    const total = all.pagination.totalCount;
    assert.ok(total >= 3);
    const first = await admin.users.list({ pageSize: 2, pageNumber: 1 });
    const second = await admin.users.list({ pageSize: 2, pageNumber: 2 });
    assert.equal(first.data.length, 2);
    assert.deepEqual(first.pagination, { currentPage: 1, pageCount: Math.ceil(total / 2), totalCount: total });
    assert.deepEqual(
      [...first.data, ...second.data].map((u) => u.id),
      all.data.slice(0, 4).map((u) => u.id),
      "the pages follow the full list",
    );
  });

  test("the email filter is exact and case-insensitive", async () => {
    const admin = await adminClient();
    const invited = await inviteUser({ prefix: "filter", accept: false });
    await inviteUser({ prefix: "filter-other", accept: false });
    const found = await admin.users.list({ email: invited.email.toUpperCase() });
    assert.deepEqual(
      found.data.map((u) => u.id),
      [invited.user.id],
    );
    assert.equal(found.pagination.totalCount, 1);
    const partial = await admin.users.list({ email: invited.email.slice(0, 8) });
    assert.deepEqual(partial.data, [], "a partial email matches nothing");
  });

  test("search matches part of the name or email, case-insensitively", async () => {
    const admin = await adminClient();
    const a = await inviteUser({ prefix: "searchable", accept: false });
    const b = await inviteUser({ prefix: "unrelated", accept: false });
    const byName = await admin.users.list({ search: a.name.slice(4).toUpperCase() });
    assert.deepEqual(
      byName.data.map((u) => u.id),
      [a.user.id],
    );
    const byEmail = await admin.users.list({ search: "SEARCHABLE-", pageSize: 100 });
    const ids = byEmail.data.map((u) => u.id);
    assert.ok(ids.includes(a.user.id));
    assert.equal(ids.includes(b.user.id), false);
  });

  test("sortField email with sortDirection asc and desc", async () => {
    const admin = await adminClient();
    await inviteUser({ prefix: "aaa-sort", accept: false });
    await inviteUser({ prefix: "zzz-sort", accept: false });
    const asc = (await admin.users.list({ sortField: "email", sortDirection: "asc", pageSize: 100 })).data;
    const desc = (await admin.users.list({ sortField: "email", sortDirection: "desc", pageSize: 100 })).data;
    const emails = asc.map((u) => u.email);
    assert.ok(emails.length >= 3);
    assert.deepEqual(emails, [...emails].sort(), "ascending by email");
    assert.deepEqual(
      desc.map((u) => u.email),
      [...emails].reverse(),
      "descending by email",
    );
  });

  test("an unknown sortField is a 400 naming it (sent raw: the SDK refuses unknown enum values)", async () => {
    const { status, body } = await http("GET", "/v1/users?sortField=shoe_size", { token: await adminToken() });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.errors[0].key, "sortField");
  });
});

describe("users.get, users.update, users.delete", () => {
  test("get answers {data: User} with the user's role", async () => {
    const admin = await adminClient();
    const invited = await inviteUser({ prefix: "get", accept: false });
    const got = (await admin.users.get(invited.user.id)).data;
    assertUserShape(got);
    assert.equal(got.id, invited.user.id);
    assert.equal(got.email, invited.email);
    assert.equal(got.name, invited.name);
    assert.equal(got.createdAt.getTime(), invited.user.createdAt.getTime());
  });

  test("update({name}) answers {data: User} and is stored", async () => {
    const admin = await adminClient();
    const invited = await inviteUser({ prefix: "update", accept: false });
    const name = `Renamed ${uniqueName("r")}`;
    const updated = (await admin.users.update(invited.user.id, { name })).data;
    assertUserShape(updated);
    assert.equal(updated.name, name);
    assert.equal(updated.email, invited.email, "fields not sent are left alone");
    assert.ok(updated.updatedAt.getTime() >= invited.user.updatedAt.getTime());
    assert.equal((await admin.users.get(invited.user.id)).data.name, name);
  });

  test("delete answers Success; the user is gone and their credentials are revoked", async () => {
    const admin = await adminClient();
    const member = await inviteUser({ prefix: "delete" });
    const { token: pat } = await createPat(member.sdk);
    assert.deepEqual(await admin.users.delete(member.user.id), { data: { success: true } });
    await expectHttpError(admin.users.get(member.user.id), { status: 404 });
    await expectHttpError(member.sdk.environments.list(), { status: 401, key: "revoked" });
    await expectHttpError(client(pat).environments.list(), { status: 401, key: "revoked" });
    await expectHttpError(login(member.email, member.password), { status: 401, key: "invalid-credentials" });
    const listed = await admin.users.list({ email: member.email });
    assert.deepEqual(listed.data, []);
    await expectHttpError(admin.users.delete(member.user.id), { status: 404 });
  });

  test("an unknown user is a 404 and a malformed id a 400 (FlatfileError: users maps no statuses)", async () => {
    const admin = await adminClient();
    await expectHttpError(admin.users.get("us_usr_zzzzzzzz"), { status: 404 });
    await expectHttpError(admin.users.update("us_usr_zzzzzzzz", { name: "x" }), { status: 404 });
    await expectHttpError(admin.users.get("nope"), { status: 400 });
  });
});

describe("role assignments", () => {
  test("listUserRoles answers {data: ActorRole[]} with the account role", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const invited = await inviteUser({ prefix: "roles-list", accept: false });
    const roles = (await admin.users.listUserRoles(invited.user.id)).data;
    assert.equal(roles.length, 1);
    assertActorRoleShape(roles[0], { actorId: invited.user.id, roleId: await roleId("Member"), resourceId: accountId });
    assert.equal(roles[0].id, invited.user.actorRoles[0].id);
  });

  test("assignUserRole promotes at once; deleteUserRole falls back to Member", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const member = await inviteUser({ prefix: "promote" });
    const { token: pat } = await createPat(member.sdk);
    await expectHttpError(client(pat).users.list(), { status: 403 });

    const adminRole = await roleId("Administrator");
    const assigned = (await admin.users.assignUserRole(member.user.id, { roleId: adminRole, resourceId: accountId })).data;
    assertActorRoleShape(assigned, { actorId: member.user.id, roleId: adminRole, resourceId: accountId });
    assert.notEqual(assigned.id, member.user.actorRoles[0].id, "a new assignment id");
    assert.deepEqual(
      (await admin.users.listUserRoles(member.user.id)).data.map((r) => [r.id, r.roleId]),
      [[assigned.id, adminRole]],
    );
    // The role is re-read on every request: the existing login token and PAT are promoted.
    assert.equal((await whoami(member.session.accessToken)).role, "Administrator");
    assert.ok(Array.isArray((await client(pat).users.list()).data), "the PAT may now list users");

    assert.deepEqual(await admin.users.deleteUserRole(member.user.id, assigned.id), { data: { success: true } });
    const after = (await admin.users.listUserRoles(member.user.id)).data;
    assert.equal(after.length, 1);
    assert.equal(after[0].roleId, await roleId("Member"));
    assert.equal((await whoami(pat)).role, "Member");
    await expectHttpError(client(pat).users.list(), { status: 403 });

    // The removed assignment is gone.
    await expectHttpError(admin.users.deleteUserRole(member.user.id, assigned.id), {
      type: Flatfile.NotFoundError,
      status: 404,
    });
  });

  test("bad assignments are 400 BadRequestErrors; an unknown user is a 404 NotFoundError", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const { user } = await inviteUser({ prefix: "assign-bad", accept: false });
    await expectHttpError(admin.users.assignUserRole(user.id, { roleId: await roleId("Guest"), resourceId: accountId }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "roleId",
    });
    const { env } = await createEnvironment("assign-env");
    await expectHttpError(admin.users.assignUserRole(user.id, { roleId: await roleId("Member"), resourceId: env.id }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "resourceId",
    });
    await expectHttpError(
      admin.users.assignUserRole("us_usr_zzzzzzzz", { roleId: await roleId("Member"), resourceId: accountId }),
      { type: Flatfile.NotFoundError, status: 404 },
    );
    await expectHttpError(admin.users.listUserRoles("us_usr_zzzzzzzz"), { type: Flatfile.NotFoundError, status: 404 });
  });

  test("a Member may not assign roles, not even to themself (403 ForbiddenError)", async () => {
    const { accountId } = await adminSession();
    const member = await inviteUser({ prefix: "self-promote" });
    await expectHttpError(
      member.sdk.users.assignUserRole(member.user.id, { roleId: await roleId("Administrator"), resourceId: accountId }),
      { type: Flatfile.ForbiddenError, status: 403 },
    );
    await expectHttpError(member.sdk.users.deleteUserRole(member.user.id, member.user.actorRoles[0].id), {
      type: Flatfile.ForbiddenError,
      status: 403,
    });
    assert.equal((await whoami(member.session.accessToken)).role, "Member");
  });
});

describe("the last Administrator", () => {
  test("cannot be demoted or deleted (409); with a second Administrator, that one can be", async () => {
    const admin = await adminClient();
    const session = await adminSession();
    const admins = (await admin.users.list({ pageSize: 100 })).data.filter(
      (u) => u.actorRoles[0].roleId === "us_rol_admin",
    );
    assert.deepEqual(
      admins.map((u) => u.id),
      [session.userId],
      "the bootstrap Administrator is the only one",
    );
    const [assignment] = (await admin.users.listUserRoles(session.userId)).data;
    const memberRole = await roleId("Member");
    const refusal = /last Administrator/;

    await expectHttpError(
      admin.users.assignUserRole(session.userId, { roleId: memberRole, resourceId: session.accountId }),
      { status: 409, message: refusal },
    );
    await expectHttpError(admin.users.deleteUserRole(session.userId, assignment.id), { status: 409, message: refusal });
    await expectHttpError(admin.users.delete(session.userId), { status: 409, message: refusal });
    assert.equal((await whoami(session.accessToken)).role, "Administrator", "still an Administrator");

    const second = await inviteUser({ role: "Administrator", prefix: "second-admin" });
    const demoted = (
      await second.sdk.users.assignUserRole(second.user.id, { roleId: memberRole, resourceId: session.accountId })
    ).data;
    assert.equal(demoted.roleId, memberRole, "an Administrator who is not the last may step down");
    await admin.users.assignUserRole(second.user.id, { roleId: await roleId("Administrator"), resourceId: session.accountId });
    assert.deepEqual(await admin.users.delete(second.user.id), { data: { success: true } });
  });
});

describe("what a Member may do", () => {
  for (const via of ["login token", "PAT"]) {
    test(`with a ${via}: no API keys, users or account changes (403), but environments work`, async () => {
      const member = await inviteUser({ prefix: `member-${via === "PAT" ? "pat" : "login"}` });
      const token = via === "PAT" ? (await createPat(member.sdk)).token : member.session.accessToken;
      const api = client(token);
      const { env } = await createEnvironment("member");

      const list = await api.environments.list({ pageSize: 100 });
      assert.ok(list.data.some((e) => e.id === env.id), "a Member lists environments");
      assert.equal((await api.environments.get(env.id)).data.id, env.id, "and reads one");

      await expectHttpError(api.auth.getApiKeys({ environmentId: env.id }), { status: 403, message: /Administrator/ });
      await expectHttpError(api.auth.createNewApiKey({ environmentId: env.id, type: "SECRET" }), { status: 403 });
      await expectHttpError(api.users.list(), { status: 403, message: /Administrator/ });
      await expectHttpError(api.environments.create({ name: uniqueName("member-env"), isProd: false }), {
        status: 403,
      });
      await expectHttpError(api.accounts.updateCurrent({ name: "Taken over" }), { status: 403 });
      const outbox = await http("GET", "/v1/latchkey/outbox", { token });
      assert.equal(outbox.status, 403, JSON.stringify(outbox.body));

      assert.equal((await api.accounts.getCurrent()).data.id, member.session.accountId, "reads the account");
      assert.equal((await whoami(token)).role, "Member");
    });
  }

  test("a Member reads and renames themself, but not other users (403)", async () => {
    const { userId: adminId } = await adminSession();
    const member = await inviteUser({ prefix: "member-self" });
    assert.equal((await member.sdk.users.get(member.user.id)).data.email, member.email);
    const name = `Self ${uniqueName("s")}`;
    assert.equal((await member.sdk.users.update(member.user.id, { name })).data.name, name);
    await expectHttpError(member.sdk.users.get(adminId), { status: 403 });
    await expectHttpError(member.sdk.users.update(adminId, { name: "Pwned" }), { status: 403 });
    await expectHttpError(member.sdk.users.delete(adminId), { status: 403 });
    await expectHttpError(member.sdk.users.createAndInvite({ email: uniqueEmail("by-member"), name: "x", actorRoles: [] }), {
      status: 403,
    });
  });
});

describe("accounts", () => {
  test("getCurrent answers {data: Account}", async () => {
    const admin = await adminClient();
    const { accountId } = await adminSession();
    const account = (await admin.accounts.getCurrent()).data;
    assert.equal(account.id, accountId);
    assert.equal(typeof account.name, "string");
    assert.equal(typeof account.metadata, "object");
    assert.ok(account.createdAt instanceof Date);
    assert.ok(account.updatedAt instanceof Date);
  });

  test("updateCurrent({name}) answers {data: Account} and is stored", async () => {
    const admin = await adminClient();
    const original = (await admin.accounts.getCurrent()).data;
    const name = `Renamed ${uniqueName("acct")}`;
    try {
      const updated = (await admin.accounts.updateCurrent({ name })).data;
      assert.equal(updated.id, original.id);
      assert.equal(updated.name, name);
      assert.ok(updated.updatedAt.getTime() >= original.updatedAt.getTime());
      assert.equal(updated.createdAt.getTime(), original.createdAt.getTime());
      assert.equal((await admin.accounts.getCurrent()).data.name, name);
    } finally {
      await admin.accounts.updateCurrent({ name: original.name });
    }
    assert.equal((await admin.accounts.getCurrent()).data.name, original.name);
  });

  test("a secret key reads the account but may not change it (403)", async () => {
    const { secret } = await createEnvironment("acct-sk");
    const api = client(secret.rawKey);
    assert.match((await api.accounts.getCurrent()).data.id, ID.account);
    await expectHttpError(api.accounts.updateCurrent({ name: "x" }), { status: 403 });
  });
});
