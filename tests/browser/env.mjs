// What `cargo test --test browser` hands every browser test: the server's URL, the Administrator's
// sign-in, where screenshots go, and the Chromium binary.
import { resolve } from "node:path";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this through \`cargo test --test browser\``);
  return value;
}

export const BASE = required("LATCHKEY_URL").replace(/\/+$/, "");
export const ADMIN_EMAIL = required("LATCHKEY_ADMIN_EMAIL");
export const ADMIN_PASSWORD = required("LATCHKEY_ADMIN_PASSWORD");
export const OUTPUT = resolve(process.env.LATCHKEY_BROWSER_OUTPUT || "output");
export const CHROMIUM = process.env.LATCHKEY_CHROMIUM || "/usr/bin/chromium";
