// Runs the graphql-http server audit suite (GraphQL over HTTP conformance) against a live server.
//
//   node tests/api/audit/audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one JSON document: counts per status and every result (id, status, name, reason, and
// for failures the response status and content type). Exits 1 on any error or warning, 2 on bad
// usage or a fatal failure. Notices (failed MAY audits) are reported but do not fail the run.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}

try {
  const results = await auditServer({ url });
  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  const items = results.map((result) => {
    counts[result.status] += 1;
    const item = { id: result.id, status: result.status, name: result.name };
    if (result.status !== 'ok') {
      item.reason = result.reason;
      item.response = {
        status: result.response.status,
        contentType: result.response.headers.get('content-type'),
      };
    }
    return item;
  });
  console.log(JSON.stringify({ url, counts, results: items }, null, 2));
  process.exit(counts.error > 0 || counts.warn > 0 ? 1 : 0);
} catch (error) {
  console.error(`audit failed: ${error?.stack ?? error}`);
  process.exit(2);
}
