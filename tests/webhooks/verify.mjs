// Reads a JSON array of {secret, headers, body} on stdin and prints a JSON array with, for
// each, "ok" when the official Standard Webhooks library verifies it, else its error message.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map(({ secret, headers, body }) => {
  try {
    new Webhook(secret).verify(body, headers);
    return "ok";
  } catch (e) {
    return String(e && e.message ? e.message : e);
  }
});
process.stdout.write(JSON.stringify(results));
