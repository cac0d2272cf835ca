// Serves the preset in graphile.config.mjs with grafserv's Node adaptor: POST /graphql.
// PEER_DATABASE_URL, PEER_PORT; run with NODE_ENV=production (bench/peer.py does).
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => {
  server.on("error", (e) => console.error(e));
  console.log(`peer listening on ${preset.grafserv.host}:${preset.grafserv.port}`);
});
await serv.addTo(server);
server.listen(preset.grafserv.port, preset.grafserv.host);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    server.close();
    pgl.release().then(() => process.exit(0));
  });
}
