// Verifies webhook deliveries with the standardwebhooks package, an implementation of the
// Standard Webhooks scheme independent of yauth's.
//
// stdin: {"secret": "whsec_…", "messages": [{"headers": {name: value}, "body": "<raw body>"}]}
// stdout: one result per message, in order: {"ok": true, "payload": …} or {"ok": false, "error": "…"}
import { Webhook } from "standardwebhooks";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { secret, messages } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const verifier = new Webhook(secret);
const results = messages.map(({ headers, body }) => {
  try {
    return { ok: true, payload: verifier.verify(body, headers) };
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error) };
  }
});
process.stdout.write(JSON.stringify(results));
