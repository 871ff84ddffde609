// The router that serves the built web app: cache headers, the SPA fallback,
// and the API's own paths left alone even when it is mounted first.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebAppDir, webAppRoutes } from './web-app.js';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'web-app-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(join(dir, 'robots.txt'), 'User-agent: *');
  writeFileSync(join(dir, '.env'), 'SECRET=1');
  const app = express();
  // Mounted before the API on purpose: it must step aside by itself.
  app.use(webAppRoutes({ dir }));
  app.all('/graphql', (_req, res) => void res.json({ api: '/graphql' }));
  for (const path of ['/healthz', '/readyz', '/metrics', '/playground']) {
    app.get(path, (_req, res) => void res.json({ api: path }));
  }
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('the web app router', () => {
  it('serves index.html at / without caching it, under a strict content security policy', async () => {
    const response = await fetch(`${base}/`, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toContain('<div id="root">');
  });

  it('answers client routes with index.html, so a reload or a shared link works', async () => {
    for (const path of ['/orders/2f1c1f8e-0000-4000-8000-000000000000', '/staff', '/cart?x=1']) {
      const response = await fetch(`${base}${path}`, { headers: html });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control'), path).toBe('no-cache');
      expect(await response.text(), path).toContain('<div id="root">');
    }
  });

  it('caches hashed assets for a year and refuses a missing one instead of returning the page', async () => {
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
    const missing = await fetch(`${base}/assets/index-old999.js`, { headers: html });
    expect(missing.status).toBe(404);
    const other = await fetch(`${base}/robots.txt`);
    expect(other.headers.get('cache-control')).toBe('no-cache');
  });

  it('never shadows the API or the operational routes', async () => {
    const post = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { ...html, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await post.json()).toEqual({ api: '/graphql' });
    for (const path of ['/graphql', '/healthz', '/readyz', '/metrics', '/playground']) {
      const response = await fetch(`${base}${path}`, { headers: html });
      expect(await response.json(), path).toEqual({ api: path });
    }
  });

  it('does not serve dotfiles, and leaves non-page requests to whatever follows', async () => {
    expect((await fetch(`${base}/.env`, { headers: { accept: 'text/plain' } })).status).toBe(404);
    const json = await fetch(`${base}/nothing-here`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    const put = await fetch(`${base}/orders/1`, { method: 'PUT', headers: html });
    expect(put.status).toBe(404);
  });

  it('says the app is not built rather than failing silently', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'web-app-empty-'));
    const app = express().use(webAppRoutes({ dir: empty }));
    const s = await new Promise<Server>((resolve) => {
      const x = app.listen(0, '127.0.0.1', () => resolve(x));
    });
    try {
      const response = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, { headers: html });
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build');
    } finally {
      await new Promise((resolve) => s.close(resolve));
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('finds web/dist in the project root by default', () => {
    expect(defaultWebAppDir()).toBe(join(process.cwd(), 'web', 'dist'));
  });
});
