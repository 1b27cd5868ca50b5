// bench/run's cold-start probe (issue 22): starts the server binary given after "--" (with the
// environment it inherits), and prints the milliseconds from exec to the first 200 answer to
// GET /health as JSON, then stops the server with SIGTERM and waits for it.
//
//   node bench/coldstart.mjs -- taskset -c 0 target/release/latchkey
// The URL comes from the banner ("Latchkey is listening on http://…"); until it is printed, and
// then until /health answers 200, the probe polls without sleeping longer than a millisecond.
import { spawn } from "node:child_process";
import http from "node:http";

const argv = process.argv.slice(process.argv.indexOf("--") + 1);
const t0 = performance.now();
const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "ignore"] });
const deadline = setTimeout(() => {
  child.kill("SIGKILL");
  console.log(JSON.stringify({ ms: null, error: "no 200 within 60 s" }));
  process.exit(1);
}, 60_000);

const get = (url) =>
  new Promise((resolve) => {
    const req = http.get(`${url}/health`, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(0));
  });

let out = "";
let probing = false;
child.stdout.on("data", async (d) => {
  out += d;
  const m = /Latchkey is listening on (http:\S+)/.exec(out);
  if (!m || probing) return;
  probing = true;
  const banner = performance.now() - t0;
  while ((await get(m[1])) !== 200) await new Promise((r) => setTimeout(r, 1));
  const ms = performance.now() - t0;
  clearTimeout(deadline);
  child.kill("SIGTERM");
  child.on("exit", () => {
    console.log(JSON.stringify({ ms: Number(ms.toFixed(1)), bannerMs: Number(banner.toFixed(1)) }));
  });
});
