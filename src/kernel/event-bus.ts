import type { Logger } from './logger.js';

type Listener<P> = (payload: P) => void | Promise<void>;

/**
 * In-process typed publish/subscribe. Listeners run synchronously in registration order; one that throws
 * (or rejects) is logged and never stops the emitter or the other listeners, because the emitter is usually
 * the ingest path and a faulty subscriber must not lose anybody's data.
 */
export class EventBus<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        const result = (listener as Listener<Events[K]>)(payload);
        if (result instanceof Promise) result.catch((err: unknown) => this.report(event, err));
      } catch (err) {
        this.report(event, err);
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  private report(event: keyof Events, err: unknown): void {
    this.log?.error({ err, event: String(event) }, 'event listener failed');
  }
}
