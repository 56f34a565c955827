'use strict';
// The webhook receiver for bench/webhooks.js, run as a child process with an IPC channel.
// A plain node:http server on 127.0.0.1 (port 0): it answers Adapty's verification POST ({} or
// {"adapty_check": x}, echoed as {"adapty_check_response": x}), answers every other POST 200 {} and
// records per delivery the arrival time (wall clock in ms with sub-ms precision, the same clock
// the harness reads), the webhook-id header, and profile_id / event_type from the body.
//
// IPC: sends { type: 'listening', port } once; answers { type: 'stats', id } with counts, and
// { type: 'take', id, from } with the records from index `from` on.

const http = require('node:http');

const now = () => performance.timeOrigin + performance.now();

const at = []; // arrival times (ms, wall clock)
const ids = [];
const profiles = [];
const types = [];
const seen = new Map(); // webhook-id -> arrivals
let verifications = 0;
let malformed = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const arrived = now();
    let body = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      malformed++;
    }
    if (body && typeof body === 'object' && typeof body.event_type !== 'string') {
      // Adapty's verification request, in either form: {} (current) or {"adapty_check": x} (older).
      verifications++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(typeof body.adapty_check === 'string' ? { adapty_check_response: body.adapty_check } : {}));
      return;
    }
    const id = String(req.headers['webhook-id'] ?? '');
    at.push(arrived);
    ids.push(id);
    profiles.push(body && typeof body.profile_id === 'string' ? body.profile_id : '');
    types.push(body && typeof body.event_type === 'string' ? body.event_type : '');
    seen.set(id, (seen.get(id) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

process.on('message', (m) => {
  if (!m || !m.id) return;
  if (m.type === 'stats') {
    process.send({
      id: m.id,
      count: at.length,
      distinct: seen.size,
      duplicates: at.length - seen.size,
      verifications,
      malformed,
      first: at.length ? at[0] : null,
      last: at.length ? at[at.length - 1] : null,
    });
  } else if (m.type === 'take') {
    const from = Math.max(0, m.from | 0);
    const records = [];
    for (let i = from; i < at.length; i++) records.push([at[i], ids[i], profiles[i], types[i]]);
    process.send({ id: m.id, records });
  } else {
    process.send({ id: m.id, error: `unknown request ${m.type}` });
  }
});

server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port });
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
