import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyRequestLogger } from './request-logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  const parent = pino({ level }, stream) as unknown as FastifyBaseLogger;
  return { parent, lines };
}

describe('lazyRequestLogger', () => {
  it('makes no child for a call below the level, and a child with the request id for one at it', async () => {
    const { parent, lines } = capture('warn');
    const child = vi.spyOn(parent, 'child');
    const log = lazyRequestLogger(parent, { reqId: 'r-1' }, {});
    log.debug({ url: '/a' }, 'request');
    log.info('nothing');
    expect(child).not.toHaveBeenCalled();
    log.error({ code: 'X' }, 'failed');
    log.warn('again');
    expect(child).toHaveBeenCalledTimes(1);
    await new Promise((r) => setImmediate(r));
    expect(lines).toMatchObject([
      { reqId: 'r-1', code: 'X', msg: 'failed', level: 50 },
      { reqId: 'r-1', msg: 'again', level: 40 },
    ]);
  });

  it('makes no child when Fastify passes the level explicitly and the call is below it', () => {
    const { parent } = capture('warn');
    const child = vi.spyOn(parent, 'child');
    const log = lazyRequestLogger(parent, { reqId: 'r-3' }, { level: 'warn' });
    log.debug('below');
    log.info('below');
    expect(child).not.toHaveBeenCalled();
    log.warn('at');
    expect(child).toHaveBeenCalledTimes(1);
  });

  it("follows a route's own log level", async () => {
    const { parent, lines } = capture('warn');
    const log = lazyRequestLogger(parent, { reqId: 'r-2' }, { level: 'debug' });
    expect(log.level).toBe('debug');
    log.debug('shown');
    log.level = 'error';
    log.warn('hidden');
    await new Promise((r) => setImmediate(r));
    expect(lines).toMatchObject([{ reqId: 'r-2', msg: 'shown' }]);
  });

  it('keeps a child of the request logger lazy, and logs with the bindings of both', async () => {
    const { parent, lines } = capture('warn');
    const child = vi.spyOn(parent, 'child');
    const log = lazyRequestLogger(parent, { reqId: 'r-4' }, { level: 'warn' }).child({ org: 'o-1', actor: 'u-1' });
    log.info('below');
    expect(child).not.toHaveBeenCalled();
    log.warn('at');
    expect(child).toHaveBeenCalledTimes(1);
    await new Promise((r) => setImmediate(r));
    expect(lines).toMatchObject([{ reqId: 'r-4', org: 'o-1', actor: 'u-1', msg: 'at', level: 40 }]);
  });
});
