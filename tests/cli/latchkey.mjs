// The two ends of tests/cli.rs, through the official @flatfile/api client (1.23.0):
//
//   node latchkey.mjs setup    logs the Administrator in, makes a second environment, and prints
//                              one JSON line: both environments' ids and secret keys and an
//                              Administrator personal access token
//   node latchkey.mjs verify   reads that JSON from SETUP and checks, with the PAT only, that the
//                              agents `flatfile deploy` made are listed across environments
//
// Environment: LATCHKEY_URL, LATCHKEY_ADMIN_EMAIL, LATCHKEY_ADMIN_PASSWORD (and SETUP).

import assert from "node:assert/strict";
import { FlatfileClient } from "@flatfile/api";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this through \`cargo test --test cli\``);
  return value;
}

const API_URL = `${required("LATCHKEY_URL").replace(/\/+$/, "")}/v1`;
const client = (token) => new FlatfileClient({ token, apiUrl: API_URL });

async function secretKeyOf(admin, environmentId) {
  const keys = (await admin.auth.getApiKeys({ environmentId })).data;
  const secret = keys.find((k) => k.type === "SECRET");
  assert.ok(secret?.rawKey, `environment ${environmentId} has a secret key`);
  return secret.rawKey;
}

async function setup() {
  const session = await client("unused").auth.createAccessToken({
    type: "userCredentials",
    email: required("LATCHKEY_ADMIN_EMAIL"),
    password: required("LATCHKEY_ADMIN_PASSWORD"),
  });
  const admin = client(session.accessToken);
  const development = (await admin.environments.list({ pageSize: 100 })).data.find((e) => e.name === "development");
  assert.ok(development, "the bootstrap development environment exists");
  const other = (await admin.environments.create({ name: "cli-other", isProd: false })).data;
  const pat = (await admin.auth.createPersonalAccessToken({ name: "monitoring agents" })).data;
  return {
    environmentId: development.id,
    secretKey: await secretKeyOf(admin, development.id),
    otherEnvironmentId: other.id,
    otherSecretKey: await secretKeyOf(admin, other.id),
    pat: pat.token,
  };
}

/** The seeds' "monitoring agents across environments": a PAT lists every environment's agents. */
async function verify() {
  const setup = JSON.parse(required("SETUP"));
  assert.ok(setup.pat, "setup printed a PAT");
  const sdk = client(setup.pat);
  const environments = (await sdk.environments.list({ pageSize: 100 })).data;
  const byEnvironment = {};
  for (const env of environments) {
    const listed = await sdk.agents.list({ environmentId: env.id, pageSize: 20, pageNumber: 1 });
    byEnvironment[env.id] = listed.data ?? [];
    assert.equal(listed.pagination?.totalCount, byEnvironment[env.id].length);
  }

  const [agent] = byEnvironment[setup.environmentId];
  assert.equal(byEnvironment[setup.environmentId].length, 1, "two deploys to development made one agent");
  assert.equal(agent.slug, "default", "a deploy without a slug is the default agent");
  assert.equal(agent.environmentId, setup.environmentId);
  assert.equal(agent.compiler, "js");
  assert.deepEqual([...agent.topics].sort(), ["space:created", "workbook:updated"], "the listener's topics");
  assert.equal(agent.running, false, "Latchkey says it never runs agents");
  assert.ok(agent.createdAt instanceof Date, "createdAt parses as a Date");
  assert.equal(agent.source, undefined, "a listing leaves the code out");

  const full = (await sdk.agents.get(agent.id, { environmentId: setup.environmentId })).data;
  assert.match(full.source, /workbook \$\{event\.context\.workbookId\} updated/, "the bundled listener is stored");
  assert.ok(full.sourceMap.length > 0, "with its source map");
  const versions = (await sdk.agents.listVersions(agent.id)).data;
  assert.deepEqual(versions.map((v) => v.version), [2, 1], "the second deploy is version 2");
  assert.equal(full.currentVersion, 2);

  const [other] = byEnvironment[setup.otherEnvironmentId];
  assert.equal(byEnvironment[setup.otherEnvironmentId].length, 1, "the other environment has its agent");
  assert.equal(other.slug, "cli-fixture");
  assert.equal(other.namespace, "space:fixture");
  return { environments: environments.length, agents: Object.values(byEnvironment).flat().map((a) => `${a.environmentId}/${a.slug}`) };
}

const command = process.argv[2];
const run = command === "setup" ? setup : command === "verify" ? verify : null;
if (!run) {
  console.error("usage: node latchkey.mjs setup|verify");
  process.exit(2);
}
run().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
