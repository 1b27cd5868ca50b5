// Preloaded into every node process of a deploy (`NODE_OPTIONS=--require …/loopback-only.cjs`,
// set by tests/cli.rs, so npx and the flatfile CLI alike): a TCP connection to anything but
// loopback fails as a refused connection would (an error on the socket), and is written to the
// file LOOPBACK_ONLY_LOG names, so the test fails if the CLI or npm ever phones home, even when
// the caller swallows the error.

"use strict";

const fs = require("node:fs");
const net = require("node:net");

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const connect = net.Socket.prototype.connect;

/** The options object of any `socket.connect(...)` call form. */
function optionsOf(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === "object") return first;
  return { port: first, host: typeof args[1] === "string" ? args[1] : "localhost" };
}

net.Socket.prototype.connect = function loopbackOnly(...args) {
  const options = optionsOf(args);
  if (!options.path) {
    const host = options.host ?? "localhost";
    if (!LOOPBACK.has(host)) {
      const message = `loopback-only: refused a connection to ${host}:${options.port} (pid ${process.pid}: ${process.argv.slice(1).join(" ")})`;
      if (process.env.LOOPBACK_ONLY_LOG) fs.appendFileSync(process.env.LOOPBACK_ONLY_LOG, `${message}\n`);
      process.nextTick(() => this.destroy(new Error(message)));
      return this;
    }
  }
  return connect.apply(this, args);
};
