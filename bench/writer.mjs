// bench/run's side load for the mixed-load scenarios (issue 22): durable writes at a fixed rate,
// unrelated to the reads they run beside: personal access token creations for users none of
// whose credentials the reads present, and secret-key rotations in an environment of its own.
//
//   node bench/writer.mjs --setup --url URL --admin-token JWT --state FILE [--users-file F]
//        [--exclude-first N]
//        creates the writers' environment "bench-writes-…" with 64 secret keys, and access tokens
//        for 32 users (the last ids of --users-file past its first N, else invited), into FILE
//   node bench/writer.mjs --url URL --state FILE --rate R --seconds S --out FILE.json
//        R writes/s for S s in turn: a PAT creation, the deletion of an earlier one, a key
//        rotation with expiresInSeconds 0 (each names the replacement its chain's last rotation
//        made), the deletion of the key an earlier rotation replaced; an open-loop schedule
//        (wrk2-like: a write late for its slot is still sent, and its latency counts from the
//        slot). Then writes {"writes","seconds","rate","pats","patDeletes","rotations",
//        "keyDeletes","errors","p50_us","p99_us","late"} and stores the chains' current keys
//        back into the state file.
// Every answer arrives after the write is on disk (the server's durable-write rule).
import http from "node:http";
import fs from "node:fs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : "1"]);
    return acc;
  }, []),
);
const url = new URL(args.url);
const CHAINS = 64;
const WRITERS = 32;
const MAX_IN_FLIGHT = 256;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(method, p, { token, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (data !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(data);
    }
    const req = http.request({ host: url.hostname, port: url.port, method, path: p, headers, agent }, (res) => {
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
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timed out after 10 s")));
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function ok(method, p, opts) {
  const r = await call(method, p, opts);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${p} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

async function setup() {
  const admin = args["admin-token"];
  const env = await ok("POST", "/v1/environments", { token: admin, body: { name: `bench-writes-${Date.now()}`, isProd: false } });
  const envId = env.data.id;
  const chains = [];
  for (let i = 0; i < CHAINS; i++) {
    const k = await ok("POST", `/v1/auth/api-key?environmentId=${envId}&type=SECRET`, { token: admin });
    chains.push(k.data[0].id);
  }
  // Users whose credentials no read presents: the last ids of the seeder's list past the first
  // --exclude-first (bench/run gives those to the reads), else new invitations.
  const file = args["users-file"];
  let users = file && fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  users = users.slice(Number(args["exclude-first"] ?? 0)).slice(-WRITERS);
  for (let i = users.length; i < WRITERS; i++) {
    const r = await ok("POST", "/v1/users/invite", {
      token: admin,
      body: { email: `bench-writer-${Date.now()}-${i}@bench.test`, name: `Bench Writer ${i}`, actorRoles: [] },
    });
    users.push(r.data.id);
  }
  const tokens = [];
  for (const u of users) {
    const c = await ok("POST", `/v1/users/${u}/api-token?tenantId=bench-writes`, { token: admin });
    const t = await ok("POST", "/v1/auth", { body: { clientId: c.data.clientId, secret: c.data.secret } });
    tokens.push(t.accessToken);
  }
  fs.writeFileSync(args.state, JSON.stringify({ admin, environmentId: envId, chains, tokens }, null, 1));
  console.log(`  writer: environment ${envId} with ${CHAINS} secret keys to rotate, ${tokens.length} users to create PATs for`);
}

async function run() {
  const state = JSON.parse(fs.readFileSync(args.state, "utf8"));
  const rate = Number(args.rate ?? 1000);
  const seconds = Number(args.seconds ?? 10);
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let inFlight = 0;
  let late = 0;
  const free = state.chains.map((_, i) => i);
  const start = performance.now();
  const total = Math.floor(rate * seconds);
  let sent = 0;

  // Four kinds of write in turn, so the writers' records stay as many as at the start (a PAT
  // insert lists its owner's PATs, a rotation counts its environment's keys): a PAT creation,
  // the deletion of one created before, a rotation, the deletion of the key it replaced. A
  // deletion with nothing to delete yet, or a rotation with every chain busy, creates a PAT.
  const created = [];
  const replaced = [];
  const writeOf = (n) => {
    const kind = n % 4;
    if (kind === 1 && created.length) {
      const [token, id] = created.shift();
      return ["patDeletes", () => ok("DELETE", `/v1/auth/personal-access-tokens/${id}`, { token })];
    }
    if (kind === 2 && free.length) {
      const c = free.shift();
      return ["rotations", async () => {
        try {
          const r = await ok("POST", `/v1/latchkey/api-keys/${state.chains[c]}/rotate`, { token: state.admin, body: { expiresInSeconds: 0 } });
          replaced.push(state.chains[c]);
          state.chains[c] = r.data.key.id;
        } finally {
          free.push(c);
        }
      }];
    }
    if (kind === 3 && replaced.length) {
      const id = replaced.shift();
      return ["keyDeletes", () => ok("DELETE", `/v1/auth/api-key?environmentId=${state.environmentId}&key=${id}`, { token: state.admin })];
    }
    const token = state.tokens[n % state.tokens.length];
    return ["pats", async () => {
      const r = await ok("POST", "/v1/auth/personal-access-tokens", { token, body: { name: `bench write ${n}` } });
      created.push([token, r.data.personalAccessToken.id]);
    }];
  };
  const counts = { pats: 0, patDeletes: 0, rotations: 0, keyDeletes: 0 };
  const one = async (n, slot) => {
    inFlight++;
    const [kind, write] = writeOf(n);
    try {
      await write();
      counts[kind]++;
      latencies.push(performance.now() - slot);
    } catch (e) {
      errors++;
      firstError ??= e.message;
    } finally {
      inFlight--;
    }
  };

  const pending = [];
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
      while (sent < due && inFlight < MAX_IN_FLIGHT) {
        const slot = start + (sent / rate) * 1000;
        if (now - slot > 10) late++;
        pending.push(one(sent, slot));
        sent++;
      }
      if (sent >= total || now - start > seconds * 1000 + 2000) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] * 1000) : 0);
  // What is left to delete is deleted now, outside the measured time.
  await Promise.all([
    ...created.map(([token, id]) => call("DELETE", `/v1/auth/personal-access-tokens/${id}`, { token }).catch(() => {})),
    ...replaced.map((id) => call("DELETE", `/v1/auth/api-key?environmentId=${state.environmentId}&key=${id}`, { token: state.admin }).catch(() => {})),
  ]);
  const writes = counts.pats + counts.patDeletes + counts.rotations + counts.keyDeletes;
  const result = {
    writes,
    seconds: Number(elapsed.toFixed(3)),
    rate: Number((writes / elapsed).toFixed(1)),
    wanted: rate,
    ...counts,
    errors,
    unsent: total - sent,
    late,
    p50_us: pct(0.5),
    p99_us: pct(0.99),
    firstError,
  };
  fs.writeFileSync(args.out, JSON.stringify(result) + "\n");
  fs.writeFileSync(args.state, JSON.stringify(state, null, 1));
}

try {
  if (args.setup) await setup();
  else await run();
} finally {
  agent.destroy();
}
