// bench/run's HTTP seeder: fills what only the API can make (client credentials, access tokens,
// personal access tokens, guests) with keep-alive connections and bounded concurrency, each phase
// bounded in time. With --http-keys / --http-users it also fills keys and users over HTTP (the
// fallback when the bulk seeder under bench/seed cannot be built).
//
//   node bench/seed.mjs --url http://127.0.0.1:PORT --out DIR --password PW [--email E]
//        [--pats N] [--clients N] [--concurrency N] [--budget SECONDS]
//        (--clients: how many users get client credentials and an access token; they own the PATs)
//        [--http-keys N] [--http-users N] [--keys-per-environment N]
//
// Reads DIR/users.txt (user ids) when present. Writes into DIR: admin_jwt.txt, clients.txt
// ("clientId secret" per line), user_jwts.txt, pats.txt (a sample of raw PATs), guest.txt
// ("spaceId guestToken", only when the server serves spaces), and seed_http.json (counts, times).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
const url = new URL(args.url);
const out = args.out;
const email = args.email || "admin@example.com";
const password = args.password;
const pats = Number(args.pats ?? 0);
const clients = Number(args.clients ?? 64);
const concurrency = Number(args.concurrency ?? 64);
const budgetMs = Number(args.budget ?? 300) * 1000;
const httpKeys = Number(args["http-keys"] ?? 0);
const httpUsers = Number(args["http-users"] ?? 0);
const keysPerEnv = Number(args["keys-per-environment"] ?? 1000);
const SAMPLE = 10000;

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function call(method, p, { token, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (data !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(data);
    }
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: p, headers, agent },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode, json, text });
        });
      },
    );
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function ok(method, p, opts) {
  const r = await call(method, p, opts);
  if (r.status < 200 || r.status > 299) {
    throw new Error(`${method} ${p} answered ${r.status}: ${r.text.slice(0, 300)}`);
  }
  return r.json;
}

// Runs task(i) for i in [0, n) with `concurrency` in flight until done or the budget is spent.
async function pool(label, n, task) {
  const started = Date.now();
  let next = 0;
  let done = 0;
  let failed = 0;
  let firstError = null;
  let lastReport = started;
  const worker = async () => {
    while (next < n && Date.now() - started < budgetMs) {
      const i = next++;
      try {
        await task(i);
        done++;
      } catch (e) {
        failed++;
        firstError ??= e;
        if (failed > 100 && failed > done) throw firstError;
      }
      const now = Date.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        const rate = done / ((now - started) / 1000);
        console.log(`  ${label}: ${done}/${n} (${rate.toFixed(0)}/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(n, 1)) }, worker));
  const seconds = (Date.now() - started) / 1000;
  const result = {
    wanted: n,
    done,
    failed,
    seconds: Number(seconds.toFixed(1)),
    perSecond: Number((done / Math.max(seconds, 1e-9)).toFixed(0)),
    budgetHit: done + failed < n,
  };
  const note = result.budgetHit ? ` — stopped by the ${budgetMs / 1000} s budget` : "";
  console.log(`  ${label}: ${done} of ${n} in ${result.seconds} s (${result.perSecond}/s)${note}`);
  if (failed) console.log(`  ${label}: ${failed} failed; first: ${firstError?.message}`);
  return result;
}

// Keeps a uniform sample of up to SAMPLE items of a stream of unknown length.
function reservoir() {
  const items = [];
  let seen = 0;
  return {
    add(x) {
      seen++;
      if (items.length < SAMPLE) items.push(x);
      else {
        const j = Math.floor(Math.random() * seen);
        if (j < SAMPLE) items[j] = x;
      }
    },
    items,
  };
}

const write = (name, lines) => fs.writeFileSync(path.join(out, name), lines.join("\n") + (lines.length ? "\n" : ""));
const read = (name) => {
  const f = path.join(out, name);
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean) : [];
};

const summary = {};
fs.mkdirSync(out, { recursive: true });

const login = await ok("POST", "/v1/auth", { body: { email, password } });
const admin = login.accessToken;
write("admin_jwt.txt", [admin]);

if (httpKeys > 0) {
  // Fallback fill: environments (two keys each) and then secret keys spread over them.
  const envCount = Math.max(1, Math.ceil(httpKeys / keysPerEnv));
  const envs = [];
  const pk = reservoir();
  summary.httpEnvironments = await pool("environments (HTTP)", envCount, async (i) => {
    const env = await ok("POST", "/v1/environments", { token: admin, body: { name: `bench-${i}`, isProd: false } });
    envs.push(env.data.id);
  });
  const sk = reservoir();
  const keysLeft = Math.max(0, httpKeys - 2 * envs.length);
  summary.httpKeys = await pool("secret keys (HTTP)", keysLeft, async (i) => {
    const env = envs[i % envs.length];
    const r = await ok("POST", `/v1/auth/api-key?environmentId=${env}&type=SECRET`, { token: admin });
    sk.add(r.data[0].rawKey);
  });
  for (const env of envs.slice(0, 100)) {
    const r = await ok("GET", `/v1/auth/api-keys?environmentId=${env}`, { token: admin });
    for (const k of r.data) (k.type === "SECRET" ? sk : pk).add(k.rawKey);
  }
  write("secret_keys.txt", sk.items);
  write("publishable_keys.txt", pk.items);
  write("environments.txt", envs);
}

let users = read("users.txt");
const wantUsers = Math.max(httpUsers, clients - users.length);
if (wantUsers > 0) {
  const tag = Math.random().toString(36).slice(2, 8);
  const made = [];
  summary.httpUsers = await pool("users (HTTP)", wantUsers, async (i) => {
    const r = await ok("POST", "/v1/users/invite", {
      token: admin,
      body: { email: `bench-${tag}-${i}@bench.test`, name: `Bench User ${i}`, actorRoles: [] },
    });
    made.push(r.data.id);
  });
  users = users.concat(made);
  write("users.txt", users);
}

// Client credentials for the first `clients` users, and an access token for each.
const owners = users.slice(0, clients);
const pairs = new Array(owners.length);
const jwts = new Array(owners.length);
summary.clients = await pool("client credentials and access tokens", owners.length, async (i) => {
  const c = await ok("POST", `/v1/users/${owners[i]}/api-token?tenantId=bench`, { token: admin });
  const pair = [c.data.clientId, c.data.secret];
  const t = await ok("POST", "/v1/auth", { body: { clientId: pair[0], secret: pair[1] } });
  pairs[i] = pair;
  jwts[i] = t.accessToken;
});
const made = pairs.map((p, i) => [p, jwts[i]]).filter(([p, j]) => p && j);
write("clients.txt", made.map(([p]) => p.join(" ")));
write("user_jwts.txt", made.map(([, j]) => j));
if (made.length === 0) throw new Error("no client credentials could be made");
const tokens = made.map(([, j]) => j);

// Personal access tokens, spread over those users round-robin (bench/run passes one user per 50
// PATs, the default limits.pats_per_user; every insert lists the owner's tokens first).
const patSample = reservoir();
summary.pats = await pool("personal access tokens", pats, async (i) => {
  const r = await ok("POST", "/v1/auth/personal-access-tokens", {
    token: tokens[i % tokens.length],
    body: { name: `bench pat ${i}` },
  });
  patSample.add(r.data.token);
});
if (patSample.items.length === 0) {
  // The read scenario needs at least one PAT even when the fill was skipped.
  const r = await ok("POST", "/v1/auth/personal-access-tokens", { token: tokens[0], body: { name: "bench pat" } });
  patSample.add(r.data.token);
}
write("pats.txt", patSample.items);

// Guests (GET /v1/spaces/{id} with a guest token), only when the server serves spaces. The flow
// follows the Flatfile contract: POST /v1/spaces, POST /v1/guests, GET /v1/guests/{id}/token.
const probe = await call("POST", "/v1/spaces", { token: admin, body: {} });
const noRoute = probe.status === 404 && /no route/i.test(probe.text);
if (noRoute || probe.status === 405) {
  summary.guest = { served: false };
  console.log("  guests: not served (POST /v1/spaces has no route)");
} else {
  try {
    const envId = read("environments.txt")[0] || (await ok("GET", "/v1/environments", { token: admin })).data[0].id;
    // 64 spaces with one guest each, so the reads rotate over guests and spaces.
    const lines = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const space = await ok("POST", "/v1/spaces", { token: admin, body: { name: `bench ${i}`, environmentId: envId } });
        const spaceId = space.data.id;
        const guests = await ok("POST", "/v1/guests", {
          token: admin,
          body: [{ environmentId: envId, email: `guest-${i}-${Date.now()}@bench.test`, name: `Bench Guest ${i}`, spaces: [{ id: spaceId }] }],
        });
        const guestId = guests.data[0].id;
        const tok = await ok("GET", `/v1/guests/${guestId}/token?spaceId=${spaceId}`, { token: admin });
        await ok("GET", `/v1/spaces/${spaceId}`, { token: tok.data.token });
        return `${spaceId} ${tok.data.token}`;
      }),
    );
    write("guest.txt", lines);
    summary.guest = { served: true };
    console.log(`  guests: ${lines.length} spaces with a guest and a guest token each`);
  } catch (e) {
    summary.guest = { served: true, error: e.message };
    console.log(`  guests: served, but the setup failed: ${e.message}`);
  }
}

fs.writeFileSync(path.join(out, "seed_http.json"), JSON.stringify(summary, null, 2));
agent.destroy();
