// Guest sign-in through the SDK: guests.invite (a magic link into the outbox,
// GET /v1/latchkey/outbox; fetch), users.exchangeToken({token}) redeeming it once, and the
// shared link: users.exchangeToken({email, spaceId}) while the space allows shared_link.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ID,
  adminClient,
  client,
  createEnvironment,
  createGuest,
  createSpace,
  createWorkbook,
  expectHttpError,
  installHooks,
  invitationFor,
  jwtPayload,
  uniqueEmail,
} from "./helpers.mjs";

installHooks();

/** users.exchangeToken needs no credential; the SDK still wants some token to send. */
function exchange(body) {
  return client("unused").users.exchangeToken(body);
}

async function invite(guestId, spaceId, extra = {}) {
  const admin = await adminClient();
  return admin.guests.invite([{ guestId, spaceId, ...extra }]);
}

describe("guests.invite", () => {
  test("answers Success and puts a magic link (lt_…) for the guest into the outbox, in the server's own words", async () => {
    const { env } = await createEnvironment("inv-mail");
    const space = await createSpace(env.id, { name: "Quarterly Import" });
    const guest = await createGuest(env.id, [{ id: space.id }]);
    const result = await invite(guest.id, space.id, { fromName: "Ada Admin", message: "Please upload the Q3 file." });
    assert.deepEqual(result, { data: { success: true } });

    const { mail, token } = await invitationFor(guest.email);
    assert.match(token, ID.linkToken);
    assert.equal(mail.to, guest.email);
    // fromName and message are the caller's words: the mail names the inviter as the server
    // knows it (the Administrator's name) and carries no text of the caller's.
    assert.match(mail.subject, /Administrator invited you to "Quarterly Import"/);
    assert.match(mail.body, /Quarterly Import/);
    assert.doesNotMatch(mail.subject + mail.body, /Ada Admin|Please upload/);
  });

  test("the link exchanges once for a guest token: {valid: true, token}; then valid: false", async () => {
    const { env } = await createEnvironment("inv-exchange");
    const space = await createSpace(env.id);
    const other = await createSpace(env.id);
    const guest = await createGuest(env.id, [{ id: space.id }, { id: other.id }]);
    await invite(guest.id, space.id, { fromName: "Ada" });
    const { token: link } = await invitationFor(guest.email);

    const first = await exchange({ token: link });
    assert.equal(first.data.valid, true);
    assert.match(first.data.token, ID.jwt);
    assert.equal(first.data.sentTo, guest.email);
    const claims = jwtPayload(first.data.token);
    assert.equal(claims.sub, guest.id);
    assert.equal(claims.exp - claims.iat, 3600);

    const asGuest = client(first.data.token);
    assert.equal((await asGuest.spaces.get(space.id)).data.id, space.id);
    // The link's token is limited to the invited space, even though the guest has another.
    await expectHttpError(asGuest.spaces.get(other.id), { status: 403 });

    const second = await exchange({ token: link });
    assert.deepEqual(second, { data: { valid: false } });
  });

  test("several invitations in one request each get their own link", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("inv-batch");
    const space = await createSpace(env.id);
    const a = await createGuest(env.id, [{ id: space.id }]);
    const b = await createGuest(env.id, [{ id: space.id }]);
    assert.deepEqual(
      await admin.guests.invite([
        { guestId: a.id, spaceId: space.id },
        { guestId: b.id, spaceId: space.id },
      ]),
      { data: { success: true } },
    );
    const linkA = (await invitationFor(a.email)).token;
    const linkB = (await invitationFor(b.email)).token;
    assert.notEqual(linkA, linkB);
    assert.equal(jwtPayload((await exchange({ token: linkB })).data.token).sub, b.id);
    assert.equal(jwtPayload((await exchange({ token: linkA })).data.token).sub, a.id);
  });

  test("a guest without access to the space is refused (422) and nothing is sent", async () => {
    const { env } = await createEnvironment("inv-noaccess");
    const space = await createSpace(env.id);
    const other = await createSpace(env.id);
    const guest = await createGuest(env.id, [{ id: other.id }]);
    // guests.invite maps no statuses, so this is a plain FlatfileError.
    await expectHttpError(invite(guest.id, space.id), { status: 422, key: "guestId" });
    await assert.rejects(invitationFor(guest.email), /a mail to/);
  });

  test("with magic links off for the space the invitation is refused (422)", async () => {
    const { env } = await createEnvironment("inv-nomagic");
    const space = await createSpace(env.id, { guestAuthentication: ["shared_link"] });
    const guest = await createGuest(env.id, [{ id: space.id }]);
    await expectHttpError(invite(guest.id, space.id), { status: 422, key: "spaceId" });
  });

  test("an unknown guest or space is a 404", async () => {
    const { env } = await createEnvironment("inv-unknown");
    const space = await createSpace(env.id);
    const guest = await createGuest(env.id, [{ id: space.id }]);
    await expectHttpError(invite("us_g_zzzzzzzz", space.id), { status: 404 });
    await expectHttpError(invite(guest.id, "us_sp_zzzzzzzz"), { status: 404 });
  });

  test("a link whose grant was removed, or whose space turned magic links off, gives valid: false", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("inv-stale");
    const space = await createSpace(env.id);
    const removed = await createGuest(env.id, [{ id: space.id }]);
    const switched = await createGuest(env.id, [{ id: space.id }]);
    await invite(removed.id, space.id);
    await invite(switched.id, space.id);
    const removedLink = (await invitationFor(removed.email)).token;
    const switchedLink = (await invitationFor(switched.email)).token;

    await admin.guests.delete(removed.id, { spaceId: space.id });
    assert.deepEqual(await exchange({ token: removedLink }), { data: { valid: false } });

    await admin.spaces.update(space.id, { guestAuthentication: ["shared_link"] });
    assert.deepEqual(await exchange({ token: switchedLink }), { data: { valid: false } });
  });

  test("a guest holding a workbook grant gets a token limited to it", async () => {
    const { env } = await createEnvironment("inv-wb");
    const space = await createSpace(env.id);
    const wb1 = await createWorkbook(space.id);
    const wb2 = await createWorkbook(space.id);
    const guest = await createGuest(env.id, [{ id: space.id, workbooks: [{ id: wb1.id }] }]);
    await invite(guest.id, space.id);
    const asGuest = client((await exchange({ token: (await invitationFor(guest.email)).token })).data.token);
    assert.equal((await asGuest.workbooks.get(wb1.id)).data.id, wb1.id);
    await expectHttpError(asGuest.workbooks.get(wb2.id), { status: 403 });
  });
});

describe("users.exchangeToken", () => {
  test("shared link: {email, spaceId} answers valid: true with a guest token for that space", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("inv-shared");
    const space = await createSpace(env.id);
    const other = await createSpace(env.id);
    assert.ok(space.guestLink, "the space allows shared_link");
    const email = uniqueEmail("walk-in");
    const joined = await exchange({ email, spaceId: space.id });
    assert.equal(joined.data.valid, true);
    assert.match(joined.data.token, ID.jwt);
    assert.equal(joined.data.sentTo, email);

    const asGuest = client(joined.data.token);
    assert.equal((await asGuest.spaces.get(space.id)).data.id, space.id);
    await expectHttpError(asGuest.spaces.get(other.id), { status: 403 });

    // The walk-in is now a guest of the space. Joining again with its address hands out no
    // identity: a single-use link is mailed to the address, and it signs in as the same guest.
    const [guest] = (await admin.guests.list({ spaceId: space.id, email })).data;
    assert.match(guest.id, ID.guest);
    assert.equal(jwtPayload(joined.data.token).sub, guest.id);
    const again = await exchange({ email, spaceId: space.id });
    assert.deepEqual(again.data, { valid: true, sentTo: email });
    const { token: link } = await invitationFor(email);
    const redeemed = await exchange({ token: link });
    assert.equal(jwtPayload(redeemed.data.token).sub, guest.id);
    assert.equal((await admin.guests.list({ spaceId: space.id })).data.length, 1);
  });

  test("after spaces.update(..., {guestAuthentication: [magic_link]}) the shared exchange is refused (403)", async () => {
    const admin = await adminClient();
    const { env } = await createEnvironment("inv-shared-off");
    const space = await createSpace(env.id);
    const email = uniqueEmail("late");
    assert.equal((await exchange({ email, spaceId: space.id })).data.valid, true, "works before");
    await admin.spaces.update(space.id, { guestAuthentication: ["magic_link"] });
    // users.exchangeToken maps no statuses, so the 403 is a plain FlatfileError.
    await expectHttpError(exchange({ email, spaceId: space.id }), { status: 403, message: /shared link/ });
    await expectHttpError(exchange({ email: uniqueEmail("new"), spaceId: space.id }), { status: 403 });
  });

  test("a space created with magic_link only never takes walk-ins (403)", async () => {
    const { env } = await createEnvironment("inv-shared-never");
    const space = await createSpace(env.id, { guestAuthentication: ["magic_link"] });
    await expectHttpError(exchange({ email: uniqueEmail("nope"), spaceId: space.id }), { status: 403 });
  });

  test("a mistyped link or an empty body is a 400 naming token; the real link still works", async () => {
    const { env } = await createEnvironment("inv-typo");
    const space = await createSpace(env.id);
    const guest = await createGuest(env.id, [{ id: space.id }]);
    await invite(guest.id, space.id);
    const { token: link } = await invitationFor(guest.email);
    const last = link.at(-1);
    const typo = link.slice(0, -1) + (last === "a" ? "b" : "a");
    await expectHttpError(exchange({ token: typo }), { status: 400, key: "token" });
    await expectHttpError(exchange({ token: "junk" }), { status: 400, key: "token" });
    await expectHttpError(exchange({}), { status: 400, key: "token" });
    assert.equal((await exchange({ token: link })).data.valid, true);
  });

  test("an unknown space is a 404", async () => {
    await expectHttpError(exchange({ email: uniqueEmail("lost"), spaceId: "us_sp_zzzzzzzz" }), { status: 404 });
  });
});
