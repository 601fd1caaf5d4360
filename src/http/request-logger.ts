import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The per-request logger, made only when the request logs something. Fastify makes a pino child (with the
 * request id) for every request, and on a warm API read that child cost about a tenth of the request, while
 * at the default level almost no request logs anything. This stands in for it: each call at an enabled
 * level makes the real child once and hands on to it; a call at a disabled level returns at once.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null;
  private ownLevel: string | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger & {
      isLevelEnabled?: (level: string) => boolean;
      levels?: { values: Record<string, number> };
    },
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    if (!this.made) {
      this.made = this.parent.child(this.bindings, this.options);
      if (this.ownLevel !== null) this.made.level = this.ownLevel;
    }
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.ownLevel ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.ownLevel = level;
    if (this.made) this.made.level = level;
  }

  /** As pino's: whether a call at this level would be written. */
  isLevelEnabled(level: string): boolean {
    if (this.made)
      return (this.made as FastifyBaseLogger & { isLevelEnabled(l: string): boolean }).isLevelEnabled(level);
    return this.enabled(level as LogMethod);
  }

  private enabled(level: LogMethod): boolean {
    if (this.made) return true;
    // Fastify passes the route's level (by default the server's) as options.level.
    const threshold = this.ownLevel ?? this.options.level;
    if (threshold === undefined) return this.parent.isLevelEnabled ? this.parent.isLevelEnabled(level) : true;
    const values = this.parent.levels?.values;
    if (!values) return true;
    return (values[level] ?? 0) >= (values[threshold] ?? Number.POSITIVE_INFINITY);
  }

  private log(level: LogMethod, args: unknown[]): void {
    if (!this.enabled(level)) return;
    (this.real[level] as (...a: unknown[]) => void)(...args);
  }

  // Methods on the prototype, not arrow-function fields: one logger per request, and fields would make seven
  // closures for each. Fastify and pino call them as methods (`request.log.info(…)`).
  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.log('error', args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', args);
  }
  info(...args: unknown[]): void {
    this.log('info', args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.log('trace', args);
  }
  silent(): void {}

  /**
   * Lazy too: the auth guard adds the organization and the actor to every authenticated request's logger,
   * and two eager pino children per request cost ~13% of a warm API read. The bindings add up as pino's
   * nested children would, and the child starts at this logger's level.
   */
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    if (this.made) return this.made.child(bindings, options);
    const level = this.ownLevel ?? this.options.level;
    return new LazyRequestLogger(
      this.parent,
      { ...this.bindings, ...bindings },
      { ...this.options, ...(level === undefined ? {} : { level }), ...options },
    );
  }
}

/** Fastify's `childLoggerFactory`: see LazyRequestLogger. */
export function lazyRequestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options);
}
