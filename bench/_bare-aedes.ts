/** The reference for bench/ingest.ts: a bare Aedes broker, no authentication and nothing behind it. */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
const server = createServer((socket) => aedes.handle(socket));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`BARE ${typeof address === 'object' && address ? address.port : 0}`);
});
// Exit on SIGTERM rather than be killed by it, so that a CPU profile (CPU_PROF_DIR) is written.
process.on('SIGTERM', () => process.exit(0));
