// A front end on another origin (a Vite dev server, a separate site) in a
// real headless Chromium: its preflights on /graphql are answered by CORS
// with the playground on and off, it can read x-request-id, and its
// websocket opens; a page on an origin not in CORS_ORIGINS gets neither, and
// its websocket upgrade is refused with 403. The pages come from servers of
// the test's own on other ports: no request interception (page.route would
// answer the preflights itself and hide exactly what is tested here).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { socketUrl } from '../support/live.js';
import { launchChromium, runBrowserTests } from './browser.js';

/** A site on an origin of its own: one empty page, from which the test runs its script. */
async function startSite(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>front end</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface PageOutcome {
  /** The fetch's outcome: the status and the readable x-request-id, or the browser's refusal. */
  fetch: { status: number; requestId: string | null; products: number } | { refused: string };
  /** Whether the websocket opened (the server accepted the upgrade). */
  socketOpened: boolean;
}

/** From a page on `siteOrigin`: a preflighted POST (Authorization, JSON) and a websocket to the API. */
async function callFromPage(browser: Browser, siteOrigin: string, apiUrl: string, token: string) {
  const page = await browser.newPage();
  try {
    await page.goto(`${siteOrigin}/`);
    return await page.evaluate(
      async ({ apiUrl, token }): Promise<PageOutcome> => {
        let fetchOutcome: PageOutcome['fetch'];
        try {
          const response = await fetch(apiUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: '{ products { sku } }' }),
          });
          const body = (await response.json()) as { data: { products: unknown[] } };
          fetchOutcome = {
            status: response.status,
            requestId: response.headers.get('x-request-id'),
            products: body.data.products.length,
          };
        } catch (error) {
          fetchOutcome = { refused: String(error) };
        }
        const socketOpened = await new Promise<boolean>((resolve) => {
          // The browser's own WebSocket (a bare name would be this module's import from ws).
          const socket = new globalThis.WebSocket(apiUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
          socket.onopen = () => {
            socket.close();
            resolve(true);
          };
          socket.onerror = () => resolve(false);
        });
        return { fetch: fetchOutcome, socketOpened };
      },
      { apiUrl, token },
    );
  } finally {
    await page.close();
  }
}

/** The status a plain (non-browser) upgrade with this Origin gets: 101 accepted, or the refusal's. */
async function upgradeStatus(apiUrl: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(socketUrl(apiUrl), 'graphql-transport-ws', { origin });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe.skipIf(!runBrowserTests).each([
  { playground: 'true', mode: 'playground on' },
  { playground: 'false', mode: 'playground off' },
])('a front end on another origin, $mode', ({ playground }) => {
  let browser: Browser;
  let allowed: Awaited<ReturnType<typeof startSite>>;
  let other: Awaited<ReturnType<typeof startSite>>;
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    allowed = await startSite();
    other = await startSite();
    t = await startTestApp({ GRAPHQL_PLAYGROUND: playground, CORS_ORIGINS: allowed.origin });
    token = (await newCustomer(t)).token;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    allowed?.server.close();
    other?.server.close();
  });

  it('answers the preflight through CORS, exposes x-request-id and lets the websocket open', async () => {
    const outcome = await callFromPage(browser, allowed.origin, t.app.url, token);
    expect(outcome.fetch).toEqual({
      status: 200,
      requestId: expect.stringMatching(/^[\w.:-]+$/),
      products: expect.any(Number),
    });
    expect(outcome.socketOpened).toBe(true);
  });

  it('gives a page on an origin not listed no answer it can read, and no websocket', async () => {
    const outcome = await callFromPage(browser, other.origin, t.app.url, token);
    expect(outcome.fetch).toEqual({ refused: expect.stringContaining('Failed to fetch') });
    expect(outcome.socketOpened).toBe(false);
  });

  it('refuses a websocket upgrade from an origin not listed with 403, and accepts the listed one', async () => {
    expect(await upgradeStatus(t.app.url, other.origin)).toBe(403);
    expect(await upgradeStatus(t.app.url, allowed.origin)).toBe(101);
    // The API's own origin (the web app at /) is always allowed.
    expect(await upgradeStatus(t.app.url, new URL(t.app.url).origin)).toBe(101);
  });
});
