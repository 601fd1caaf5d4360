/**
 * The reference for bench/api.ts: a bare Fastify server answering the two routes with the same JSON bodies
 * Fieldline answered (captured by the caller), with no authentication, database or cache.
 */
import Fastify from 'fastify';

const bodies = JSON.parse(process.argv[2] ?? '{}') as { device: unknown; latest: unknown };
const app = Fastify();
app.get('/api/v1/devices/:id', async () => bodies.device);
app.get('/api/v1/telemetry/:id/latest', async () => bodies.latest);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
console.log(`BARE http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
