'use strict';
// The baseline: a bare Fastify route serving the exact bytes of one seeded profile's GET body.
// Started by bench/run.js as a child process: PORT, HOST, BODY_FILE in the environment.

const { readFileSync } = require('node:fs');
const fastify = require('fastify')({ logger: false });

const body = readFileSync(process.env.BODY_FILE);
const handler = (_request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(body);
};
fastify.get('/api/v2/server-side-api/profile/', handler);
fastify.post('/api/v2/server-side-api/purchase/profile/grant/access-level/', handler);

fastify.listen({ port: Number(process.env.PORT), host: process.env.HOST || '127.0.0.1' }).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
const stop = () => fastify.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
