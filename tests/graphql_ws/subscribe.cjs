// Subscribe once with the npm clients frontends use, print the first result (or the failure) as one JSON line.
// usage: NODE_PATH=<node_modules> node subscribe.cjs ws|sse <graphql http url> <query> [origin]
// (CommonJS: NODE_PATH, which tests/npm.py's cache needs, is not read by ES module imports)
// The `ws` transport sends `origin` as the handshake's Origin header, as a browser on that origin would.
const { createClient: createWsClient } = require("graphql-ws");
const { createClient: createSseClient } = require("graphql-sse");
const WebSocket = require("ws");

const [mode, url, query, origin] = process.argv.slice(2);

function wsClient() {
  class OriginSocket extends WebSocket {
    constructor(address, protocols) {
      super(address, protocols, origin ? { headers: { Origin: origin } } : {});
    }
  }
  return createWsClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: OriginSocket,
    retryAttempts: 0,
    lazy: true,
  });
}

function sseClient() {
  return createSseClient({ url, singleConnection: false, retryAttempts: 0 });
}

const client = mode === "ws" ? wsClient() : sseClient();
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const timer = setTimeout(() => {
  print({ failed: "no result within 20 s" });
  process.exit(2);
}, 20000);

const stop = client.subscribe(
  { query },
  {
    next: (result) => {
      print({ result });
      clearTimeout(timer);
      stop();
      client.dispose();
      process.exit(0);
    },
    error: (error) => {
      // graphql-ws hands over a CloseEvent or an Error; graphql-sse an Error or the GraphQL errors
      // (ws's ErrorEvent carries the handshake's failure, e.g. "Unexpected server response: 403", in `message`)
      const described = error?.message ?? error?.error?.message ?? error?.code ?? JSON.stringify(error);
      print({ failed: String(described), code: error?.code ?? null, reason: error?.reason ?? null });
      clearTimeout(timer);
      process.exit(1);
    },
    complete: () => {},
  },
);
