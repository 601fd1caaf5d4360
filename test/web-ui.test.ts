import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('web UI serving', () => {
  let root: string;
  let t: TestApp;
  beforeAll(async () => {
    // A stand-in for what `vite build` writes into dist/web.
    root = mkdtempSync(join(tmpdir(), 'fieldline-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(
      join(root, 'index.html'),
      '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>',
    );
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("ui")');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    t = await startTestApp({}, { webRoot: root });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the UI at / under a CSP that allows its own scripts only, and Socket.IO', async () => {
    const r = await fetch(`${t.url}/`, { headers: html });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await r.text()).toContain('<div id="root">');
    const csp = r.headers.get('content-security-policy') ?? '';
    const directive = (name: string) => csp.split(';').find((d) => d.trim().startsWith(`${name} `)) ?? '';
    expect(directive('script-src').trim()).toBe("script-src 'self'");
    expect(directive('connect-src')).toContain("'self'");
    expect(directive('connect-src')).toContain('ws:');
    // Plain HTTP on a LAN address must keep working: no forced upgrade of the UI's own requests.
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(r.headers.get('cache-control')).toBe('no-cache');
  });

  it('serves hashed assets cacheable for good, other files revalidated', async () => {
    const asset = await fetch(`${t.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await fetch(`${t.url}/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers a browser navigating to a UI route with the app, so deep links and reloads work', async () => {
    for (const path of ['/devices/boiler-1', '/alerts', '/admin/audit']) {
      const r = await fetch(`${t.url}${path}`, { headers: html });
      expect(r.status, path).toBe(200);
      expect(await r.text()).toContain('<div id="root">');
    }
  });

  it('keeps problem+json 404s for the API and the server’s own paths, and for non-browser clients', async () => {
    for (const path of ['/api/v1/no-such-thing', '/mqtt/x', '/health/x', '/metrics/x']) {
      const r = await fetch(`${t.url}${path}`, { headers: html });
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
    // Socket.IO answers its own path (a refused handshake here), never the app.
    const io = await fetch(`${t.url}/socket.io/nope`, { headers: html });
    expect(io.status).toBe(400);
    expect(await io.text()).not.toContain('<div id="root">');
    const api = await t.api('/devices/boiler-1');
    expect(api.status).toBe(404);
    expect(api.body.code).toBe('FIELDLINE_ERR_NOT_FOUND');
    const post = await fetch(`${t.url}/devices`, { method: 'POST', headers: html });
    expect(post.status).toBe(404);
    expect((await t.api('/health')).status).toBe(200);
  });
});

describe('web UI not built', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { webRoot: join(tmpdir(), 'fieldline-no-such-web-ui') });
  });
  afterAll(async () => {
    await t.close();
  });

  it('starts anyway, says so at / and on UI routes, and the API works', async () => {
    expect(t.app.webUi.built).toBe(false);
    for (const path of ['/', '/devices']) {
      const r = await fetch(`${t.url}${path}`, { headers: html });
      expect(r.status, path).toBe(503);
      const text = await r.text();
      expect(text).toContain('web UI is not built');
      expect(text).toContain('npm run build');
    }
    expect((await t.api('/api/v1/me', { token: t.adminToken })).status).toBe(200);
  });
});
