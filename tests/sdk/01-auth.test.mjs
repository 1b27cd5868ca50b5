// auth.createAccessToken (POST /v1/auth) through the official SDK.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  Flatfile,
  FlatfileError,
  ID,
  adminToken,
  client,
  createEnvironment,
  expectHttpError,
  installHooks,
  jwtPayload,
  login,
} from "./helpers.mjs";

installHooks();

describe("auth.createAccessToken", () => {
  test("userCredentials give a 24-hour JWT with the user and account ids", async () => {
    const token = await login();
    assert.match(token.accessToken, ID.jwt);
    assert.equal(token.expiresIn, "86400", "expiresIn is the string \"86400\"");
    assert.equal(typeof token.expires, "string", "expires stays a string (the SDK does not parse it)");
    assert.match(token.expires, ID.isoMillis);
    assert.equal(token.email, ADMIN_EMAIL);
    assert.match(token.userId, ID.user);
    assert.match(token.accountId, ID.account);
    assert.equal("data" in token, false, "AccessToken comes without a data envelope");

    const claims = jwtPayload(token.accessToken);
    assert.equal(claims.exp - claims.iat, 86400, "the token lives 24 h");
    assert.equal(new Date(claims.exp * 1000).toISOString(), token.expires, "expires matches the token's exp");
    assert.equal(claims.sub, token.userId);
  });

  test("the access token is accepted as a bearer by the SDK", async () => {
    const token = await login();
    const list = await client(token.accessToken).environments.list();
    assert.ok(Array.isArray(list.data));
    assert.ok(list.data.length >= 2, "the bootstrap development and production environments are listed");
    for (const env of list.data) {
      assert.equal(env.accountId, token.accountId);
    }
  });

  test("two logins give two different tokens", async () => {
    const [a, b] = await Promise.all([login(), login()]);
    assert.notEqual(a.accessToken, b.accessToken);
    assert.equal(a.userId, b.userId);
  });

  test("the email is matched case-insensitively", async () => {
    const token = await login(ADMIN_EMAIL.toUpperCase(), ADMIN_PASSWORD);
    assert.equal(token.email, ADMIN_EMAIL.toLowerCase());
  });

  test("a wrong password is a 401 FlatfileError with key invalid-credentials; an unknown email gets the same body", async () => {
    const wrongPassword = await expectHttpError(login(ADMIN_EMAIL, `${ADMIN_PASSWORD}-wrong`), {
      status: 401,
      key: "invalid-credentials",
      message: /email or password/i,
    });
    const unknownEmail = await expectHttpError(login("nobody-here@example.com", `${ADMIN_PASSWORD}-wrong`), {
      status: 401,
      key: "invalid-credentials",
    });
    assert.deepEqual(unknownEmail.body, wrongPassword.body);
  });

  test("apiCredentials with an unknown client are a 401; a malformed client id is a 400", async () => {
    const api = client("unused");
    await expectHttpError(
      api.auth.createAccessToken({ type: "apiCredentials", clientId: "us_cli_unknown00000", secret: "cs_whatever" }),
      { status: 401, key: "invalid-credentials" },
    );
    await expectHttpError(api.auth.createAccessToken({ type: "apiCredentials", clientId: "abc", secret: "def" }), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "clientId",
    });
  });

  test("a malformed email is a 400 BadRequestError naming email", async () => {
    await expectHttpError(login("not-an-email", "whatever-password"), {
      type: Flatfile.BadRequestError,
      status: 400,
      key: "email",
    });
  });
});

describe("bearer tokens the server refuses", () => {
  test("a garbage token is a 401 with key malformed", async () => {
    await expectHttpError(client("definitely-not-a-credential").environments.list(), {
      status: 401,
      key: "malformed",
      message: /^Unauthorized/,
    });
  });

  test("a mistyped secret key (one character changed) is a 401 with key malformed", async () => {
    const { env, secret } = await createEnvironment("auth-typo");
    assert.equal((await client(secret.rawKey).environments.get("current")).data.id, env.id, "the real key works");
    const raw = secret.rawKey;
    const i = 10;
    const typo = `${raw.slice(0, i)}${raw[i] === "x" ? "y" : "x"}${raw.slice(i + 1)}`;
    await expectHttpError(client(typo).environments.get("current"), {
      status: 401,
      key: "malformed",
      message: /checksum/,
    });
  });

  test("a tampered access token is a 401 with key malformed", async () => {
    const accessToken = await adminToken();
    const [h, p, s] = accessToken.split(".");
    const flipped = s[0] === "A" ? `B${s.slice(1)}` : `A${s.slice(1)}`;
    await expectHttpError(client(`${h}.${p}.${flipped}`).environments.list(), { status: 401, key: "malformed" });
  });
});
