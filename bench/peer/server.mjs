// The peer bench/run measures Latchkey against: oidc-provider (npm) on loopback, with one client
// allowed the client_credentials grant and token introspection enabled. Usage:
//   node bench/peer/server.mjs [PORT]
// PORT 0 (the default) picks a free port. Prints "peer is listening on http://127.0.0.1:PORT"
// once it accepts connections.
// Client: id "bench", secret "bench-secret-0123456789" (client_secret_basic or client_secret_post).
// Tokens are oidc-provider's default opaque access tokens kept in its in-memory adapter, which is
// the cheapest format for it to issue and the one its introspection endpoint serves.
import http from "node:http";
import Provider from "oidc-provider";

const server = http.createServer();
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(Number(process.argv[2] || 0), "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "bench",
      client_secret: "bench-secret-0123456789",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_basic",
      introspection_endpoint_auth_method: "client_secret_basic",
      scope: "api",
    },
  ],
  scopes: ["api"],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  ttl: { ClientCredentials: 86400 },
  // No cookies are used by the token and introspection endpoints; a fixed key silences the warning.
  cookies: { keys: ["latchkey-bench-peer-cookie-key"] },
});

// Keep the log quiet under load: only report server errors once.
let reported = false;
provider.on("server_error", (ctx, err) => {
  if (!reported) {
    reported = true;
    console.error("peer server_error:", err);
  }
});

server.on("request", provider.callback());
console.log(`peer is listening on ${issuer}`);

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
