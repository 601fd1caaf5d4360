import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from '../kernel/index.js';

const CONNECT_TIMEOUT_MS = 10_000;

/** Channel prefix on Redis: `fieldline-realtime#/#…` (broadcasts) and `fieldline-realtime-request#/#` (node to node). */
export const REDIS_CHANNEL_KEY = 'fieldline-realtime';

/**
 * The two Redis connections @socket.io/redis-adapter needs (one publishes, one stays subscribed). start()
 * fails when Redis cannot be reached, so a node configured for a cluster does not run alone unnoticed;
 * afterwards ioredis reconnects by itself, and events published while a node is cut off are lost for the
 * sockets of the other nodes (Redis pub/sub keeps nothing), which is the contract of live updates.
 */
export class RedisFanout {
  private pub: Redis | null = null;
  private sub: Redis | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<ReturnType<typeof createAdapter>> {
    this.pub = this.client('publisher');
    this.sub = this.client('subscriber');
    await Promise.all([connect(this.pub), connect(this.sub)]);
    return createAdapter(this.pub, this.sub, { key: REDIS_CHANNEL_KEY, publishOnSpecificResponseChannel: true });
  }

  /**
   * Resolves once the adapter's SUBSCRIBE/PSUBSCRIBE went through: the subscriber connection answers in
   * order, so a PING sent after them answers after them. Before that, events of other nodes could be missed.
   */
  async subscribed(): Promise<void> {
    await this.sub?.ping();
  }

  async stop(): Promise<void> {
    const clients = [this.pub, this.sub].filter((c): c is Redis => c !== null);
    this.pub = null;
    this.sub = null;
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private client(role: string): Redis {
    const client = new Redis(this.url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS });
    let down = false;
    client.on('error', (err: Error) => {
      if (!down) this.log.warn({ err: err.message, role }, 'realtime: Redis connection lost; reconnecting');
      down = true;
    });
    client.on('ready', () => {
      if (down) this.log.info({ role }, 'realtime: Redis connection restored');
      down = false;
    });
    return client;
  }
}

async function connect(client: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`realtime: cannot reach Redis at FIELDLINE_REDIS_URL (${why})`);
  } finally {
    clearTimeout(timer);
  }
}
