// Turns bench/run's per-scenario JSON (wrk's done() hook) into one Markdown report: the table,
// the growth figures and the issue's targets, met or missed. Usage:
//   node bench/report.mjs WORK_DIR OUTPUT.md
// WORK_DIR/meta.json describes the run; WORK_DIR/results/NAME.json holds one scenario each.
import fs from "node:fs";
import path from "node:path";

const [work, output] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(path.join(work, "meta.json"), "utf8"));
const load = (name) => {
  const f = path.join(work, "results", `${name}.json`);
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null;
};
const seedHttp = (() => {
  const f = path.join(work, "main", "creds", "seed_http.json");
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : {};
})();

const ms = (us) => (us / 1000).toFixed(2);
const int = (n) => Math.round(n).toLocaleString("en-US");
const bare = load("bare");

// [name, label, note]; a scenario that did not run shows its skip reason from meta.skipped.
const rows = [
  ["bare", "bare: GET /health", "the ceiling"],
  ["secret", "secret key read: GET /v1/environments/current", "sk_ Bearer"],
  ["pat", "PAT read: GET /v1/environments", "pat_ Bearer"],
  ["jwt", "access-token read: GET /v1/environments", "EdDSA JWT Bearer"],
  ["guest", "guest read: GET /v1/spaces/{id}", "guest token"],
  ["issue_pk", "token issuance: POST /v1/auth (publishable key)", ""],
  ["issue_client", "token issuance: POST /v1/auth (client credentials)", ""],
  ["whoami", "introspection: GET /v1/latchkey/whoami (JWT)", ""],
  ["writes", `durable writes: POST /v1/auth/personal-access-tokens (${meta.writeConnections} conns)`, "acknowledged when on disk"],
  ["flood_read", "secret key read during a wrong-password flood", `flood: ${meta.floodConnections} conns`],
  ["flood", "  the flood itself: POST /v1/auth (wrong password)", "401 answers count as errors"],
  ["peer_issue", "peer token issuance: POST /token (client_credentials)", "oidc-provider"],
  ["peer_introspect", "peer introspection: POST /token/introspection", "oidc-provider"],
];

const lines = [];
lines.push(`# Latchkey benchmark results`);
lines.push("");
lines.push(`- Date: ${meta.date}`);
lines.push(`- Command: \`${meta.command}\``);
lines.push(`- Machine: ${meta.cores} cores (${meta.cpuModel}), ${meta.memory}; ${meta.kernel}`);
lines.push(`- Pinning: ${meta.pinning}`);
lines.push(`- Latchkey: ${meta.binary}, \`${meta.workers}\` worker(s); ${meta.commit}`);
lines.push(`- Load: wrk ${meta.wrkVersion}, ${meta.threads} thread(s), ${meta.connections} connections, ${meta.duration} s per scenario after a ${meta.warmup} s warm-up; requests rotate over up to 10,000 sampled keys or PATs, or the ${int(meta.patOwners)} PAT owners' client credentials and access tokens${meta.rounds > 1 ? `; bare and the secret-key, PAT and access-token reads ran in ${meta.rounds} interleaved rounds of ${Math.max(1, Math.floor(meta.duration / meta.rounds))} s (bare, secret, PAT, JWT, then again), and each shows the median over its rounds of req/s, p50 and p99 (every round's req/s and p99 in the note)` : ""}`);
lines.push(`- Store: ${meta.storeLine}`);
lines.push(`- Peer: ${meta.peerLine}`);
lines.push(`- Server settings for the run: ${meta.settings}`);
lines.push("");
lines.push(`| scenario | req/s | p50 ms | p99 ms | req/s vs bare | p99 vs bare | errors | note |`);
lines.push(`|---|---:|---:|---:|---:|---:|---:|---|`);
for (const [name, label, note] of rows) {
  const r = load(name);
  if (!r) {
    const why = meta.skipped?.[name] ?? (name.startsWith("peer") ? meta.skipped?.peer : undefined);
    if (why) lines.push(`| ${label} | – | – | – | – | – | – | skipped: ${why} |`);
    continue;
  }
  const errors = r.errors_status + r.errors_connect + r.errors_read + r.errors_write + r.errors_timeout;
  const ratio = bare ? (r.rps / bare.rps).toFixed(2) + "×" : "–";
  const p99r = bare ? (r.p99_us / Math.max(bare.p99_us, 1)).toFixed(2) + "×" : "–";
  const rounds = r.rounds?.length > 1
    ? `rounds: ${r.rounds.map(int).join(" / ")} req/s` +
      (r.roundsP99 ? `, p99 ${r.roundsP99.map(ms).join(" / ")} ms` : "")
    : "";
  const notes = [note, rounds].filter(Boolean).join("; ");
  lines.push(`| ${label} | ${int(r.rps)} | ${ms(r.p50_us)} | ${ms(r.p99_us)} | ${ratio} | ${p99r} | ${errors ? int(errors) : 0} | ${notes} |`);
}
lines.push("");

// Growth: one server per size, on its own fresh store.
const growth = meta.growth || [];
if (growth.length) {
  lines.push(`## Growth: secret key read by store size`);
  lines.push("");
  lines.push(`| keys in store | fill | startup | RSS after start | peak RSS | data dir | req/s | p50 ms | p99 ms | req/s vs smallest |`);
  lines.push(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  const first = growth.length ? load(`growth_${growth[0].keys}`) : null;
  for (const g of growth) {
    const r = load(`growth_${g.keys}`);
    const cells = r
      ? [int(r.rps), ms(r.p50_us), ms(r.p99_us), first ? (r.rps / first.rps).toFixed(2) + "×" : "–"]
      : ["–", "–", "–", "–"];
    lines.push(`| ${int(g.keys)} | ${g.fillSeconds} s | ${g.startupMs != null ? (g.startupMs / 1000).toFixed(2) + " s" : "failed"} | ${g.rssMiB ?? "–"} MiB | ${g.peakRssMiB ?? "–"} MiB | ${g.diskMiB ?? "–"} MiB | ${cells.join(" | ")} |`);
  }
  lines.push("");
}

// Fill times.
lines.push(`## Fill`);
lines.push("");
for (const f of meta.fills || []) lines.push(`- ${f}`);
for (const [k, v] of Object.entries(seedHttp)) {
  if (v && typeof v === "object" && "done" in v) {
    const hit = v.budgetHit ? ` (stopped by the time budget; ${int(v.wanted)} wanted)` : "";
    const what = { clients: "client-credential pairs with an access token each", pats: `personal access tokens over ${int(meta.patOwners)} users` }[k] || k;
    lines.push(`- over HTTP, ${what}: ${int(v.done)} in ${v.seconds} s${v.perSecond ? ` (${int(v.perSecond)}/s)` : ""}${hit}`);
  }
}
lines.push("");

// Targets from the issue.
const t = [];
const check = (label, ok, detail) => t.push(`| ${label} | ${ok === null ? "not measured" : ok ? "met" : "**missed**"} | ${detail} |`);
const vsBare = (name, label) => {
  const r = load(name);
  if (!r || !bare) return check(label, null, "");
  const a = r.rps / bare.rps;
  const b = r.p99_us / Math.max(bare.p99_us, 1);
  check(label, a >= 0.75 && b <= 2, `${a.toFixed(2)}× bare req/s (≥ 0.75), p99 ${b.toFixed(2)}× bare (≤ 2)`);
};
vsBare("secret", "secret key read ≥ 0.75× bare, p99 ≤ 2× bare");
vsBare("pat", "PAT read ≥ 0.75× bare, p99 ≤ 2× bare");
vsBare("jwt", "access-token read ≥ 0.75× bare, p99 ≤ 2× bare");
{
  const peer = load("peer_issue");
  for (const [name, what] of [["issue_pk", "publishable key"], ["issue_client", "client credentials"]]) {
    const r = load(name);
    if (!r || !peer) check(`token issuance (${what}) ≥ 4× peer`, null, peer ? "" : "peer not measured");
    else check(`token issuance (${what}) ≥ 4× peer`, r.rps >= 4 * peer.rps, `${(r.rps / peer.rps).toFixed(2)}× the peer (${int(r.rps)} vs ${int(peer.rps)} req/s)`);
  }
}
{
  const r = load("writes");
  check(`durable writes ≥ 5,000/s at ${meta.writeConnections} connections`, r ? r.rps >= 5000 && r.errors_status === 0 : null, r ? `${int(r.rps)}/s, p99 ${ms(r.p99_us)} ms` : "");
}
if (growth.length >= 2) {
  const small = load(`growth_${growth[0].keys}`);
  const bigG = growth[growth.length - 1];
  const big = load(`growth_${bigG.keys}`);
  const label = `${int(bigG.keys)} keys`;
  if (small && big) {
    const d = big.rps / small.rps;
    check(`read at ${label} within 15% of ${int(growth[0].keys)} keys`, d >= 0.85, `${d.toFixed(2)}× (${int(big.rps)} vs ${int(small.rps)} req/s)`);
  } else check(`read at ${label} within 15%`, null, "");
  check(`startup < 2 s at ${label}`, bigG.startupMs != null ? bigG.startupMs < 2000 : false, bigG.startupMs != null ? `${(bigG.startupMs / 1000).toFixed(2)} s` : "did not start");
  check(`RSS < 256 MiB at ${label}`, bigG.peakRssMiB != null ? bigG.peakRssMiB < 256 : null, `${bigG.rssMiB ?? "–"} MiB after start, ${bigG.peakRssMiB ?? "–"} MiB peak`);
  if (bigG.keys < 1_000_000) t.push(`| (growth ran at ${label}, not 1,000,000: the issue's target is for 1M) | | |`);
}
{
  const r = load("flood_read");
  check(`secret key read p99 < 20 ms under a ${meta.floodConnections}-connection wrong-password flood`, r ? r.p99_us < 20000 : null, r ? `p99 ${ms(r.p99_us)} ms, ${int(r.rps)} req/s` : "");
}
lines.push(`## Targets (issue 7)`);
lines.push("");
lines.push(`| target | result | measured |`);
lines.push(`|---|---|---|`);
lines.push(...t);
lines.push("");
if (meta.quick) {
  lines.push(`This was a --quick smoke run (small store, ${meta.duration} s per scenario): its figures only show that the harness works.`);
  lines.push("");
}

const text = lines.join("\n");
fs.writeFileSync(output, text);
process.stdout.write(text);

// The smoke check that keeps the harness from rotting: every scenario that ran must have been
// answered, without refusals (the flood's 401s excepted). Missed targets do not fail the run.
const problems = [];
for (const [name, label] of rows) {
  const r = load(name);
  if (!r) {
    if (!meta.skipped?.[name] && !(name.startsWith("peer") && meta.skipped?.peer)) problems.push(`${label}: no result`);
    continue;
  }
  if (r.requests === 0) problems.push(`${label}: no request was answered`);
  const errors = r.errors_status + r.errors_connect + r.errors_read + r.errors_write + r.errors_timeout;
  if (name !== "flood" && errors > 0) problems.push(`${label}: ${errors} errors (non-2xx answers, socket errors or timeouts)`);
}
for (const g of growth) {
  const r = load(`growth_${g.keys}`);
  if (!r || r.requests === 0) problems.push(`growth at ${g.keys} keys: no result`);
  else if (r.errors_status > 0) problems.push(`growth at ${g.keys} keys: ${r.errors_status} non-2xx answers`);
}
if (problems.length) {
  console.error("\n\nbench/run: the harness is broken somewhere:\n  " + problems.join("\n  "));
  process.exit(3);
}
