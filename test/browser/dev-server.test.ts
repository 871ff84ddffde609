// The web app served from Vite's dev server (web/vite.config.ts, as
// `npm run dev:web` runs it) on an origin of its own, talking to the API on
// another through VITE_API_URL: every request with a token or a JSON body is
// preflighted, and the API answers through CORS_ORIGINS. A customer
// registers, orders and watches a staff move arrive live; from a dev server
// the API does not list, the page says it cannot reach the shop and nothing
// is placed. No request interception here (page.route would answer the
// preflights itself and hide exactly what is tested).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrdersDocument, RegisterDocument, UpdateOrderStatusDocument } from '../generated/graphql.js';
import { ROOT } from '../support/compiled.js';
import { addProduct, adminClient, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { launchChromium, pageErrors, runBrowserTests } from './browser.js';

const LIVE_TIMEOUT = 15_000;

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Vite's dev server with the app's own config on `port`, its API at `apiOrigin` (VITE_API_URL). */
async function startDevServer(port: number, apiOrigin: string, cacheDir: string): Promise<ViteDevServer> {
  const before = process.env.VITE_API_URL;
  process.env.VITE_API_URL = apiOrigin;
  try {
    const server = await createServer({
      configFile: join(ROOT, 'web', 'vite.config.ts'),
      mode: 'development',
      cacheDir,
      logLevel: 'warn',
      clearScreen: false,
      server: { host: '127.0.0.1', port, strictPort: true },
    });
    await server.listen();
    return server;
  } finally {
    if (before === undefined) delete process.env.VITE_API_URL;
    else process.env.VITE_API_URL = before;
  }
}

/** The CORS preflights Chromium sends from `page` (seen through the DevTools protocol), and their statuses. */
async function recordPreflights(page: Page): Promise<{ url: string; status: number }[]> {
  const seen: { url: string; status: number }[] = [];
  const cdp: CDPSession = await page.context().newCDPSession(page);
  cdp.on('Network.responseReceived', (event) => {
    if (event.type === 'Preflight') seen.push({ url: event.response.url, status: event.response.status });
  });
  await cdp.send('Network.enable');
  return seen;
}

function statusOf(page: Page): Promise<string | null> {
  return page.locator('.order-status [data-status]').getAttribute('data-status');
}

describe.skipIf(!runBrowserTests)('the web app on Vite’s dev server, with the API on another origin', () => {
  let t: TestApp;
  let apiOrigin: string;
  let allowed: { origin: string; server: ViteDevServer };
  let refused: { origin: string; server: ViteDevServer };
  let browser: Browser;
  let cacheDir: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const [allowedPort, refusedPort] = [await freePort(), await freePort()];
    const origin = (port: number) => `http://127.0.0.1:${port}`;
    // The API lists the first dev server's origin only.
    t = await startTestApp({ CORS_ORIGINS: origin(allowedPort) });
    apiOrigin = new URL(t.app.url).origin;
    cacheDir = mkdtempSync(join(tmpdir(), 'order-service-vite-'));
    allowed = { origin: origin(allowedPort), server: await startDevServer(allowedPort, apiOrigin, cacheDir) };
    refused = { origin: origin(refusedPort), server: await startDevServer(refusedPort, apiOrigin, cacheDir) };
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await allowed?.server.close();
    await refused?.server.close();
    await t?.stop();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    contexts.push(context);
    return context.newPage();
  }

  it('a customer registers, orders and sees a staff move arrive live, every call preflighted and allowed', async () => {
    const sku = await addProduct(t, { stock: 5, priceMinor: 1250 });
    const page = await newPage();
    const errors = pageErrors(page);
    const preflights = await recordPreflights(page);

    await page.goto(`${allowed.origin}/register`);
    await page.getByLabel('Email').fill(uniqueEmail('devserver'));
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: /Sign out/ }).waitFor();

    const product = page.locator(`li[data-sku="${sku}"]`);
    await product.getByText('5 in stock').waitFor();
    await product.getByRole('button', { name: /Add to cart/ }).click();
    await page.getByRole('link', { name: 'Cart (1)' }).click();
    await page.getByLabel('Shipping address').fill('1 Origin Road');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    // The page itself came from the dev server, not from the API.
    expect(new URL(page.url()).origin).toBe(allowed.origin);
    const orderId = page.url().split('/').pop()!;

    await page.getByRole('heading', { name: /^Order / }).waitFor();
    expect(await statusOf(page)).toBe('PENDING');
    await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });

    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('PAID');
    await page.locator('.timeline li[data-to-status="PAID"]').waitFor();

    // Chromium asked first, and the API said yes, on its own origin's /graphql.
    expect(preflights.length).toBeGreaterThan(0);
    for (const preflight of preflights) {
      expect(preflight.url).toBe(`${apiOrigin}/graphql`);
      expect(preflight.status).toBeGreaterThanOrEqual(200);
      expect(preflight.status).toBeLessThan(300);
    }
    expect(errors).toEqual([]);
  });

  it('from a dev server the API does not list: the page says it cannot reach the shop, and nothing is placed', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const page = await newPage();
    const preflights = await recordPreflights(page);

    // Signing up fails in the browser: the account is never made.
    const email = uniqueEmail('refused');
    await page.goto(`${refused.origin}/register`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Create account' }).click();
    const signUpAlert = page.getByRole('alert');
    await signUpAlert.getByText("We can't reach the shop right now").waitFor();
    expect(await signUpAlert.getAttribute('data-error-code')).toBe('NETWORK');
    const [users] = await t.app.orm.em
      .fork()
      .execute<{ n: number }[]>('select count(*)::int as n from users where email = ?', [email]);
    expect(users!.n).toBe(0);

    // A customer with a session (signed up elsewhere) and a cart on this origin: placing the order fails too.
    const { register } = await t.client.ok(RegisterDocument, {
      input: { email: uniqueEmail('refused'), password: 'password-123' },
    });
    await page.evaluate(
      ({ session, sku }) => {
        localStorage.setItem('order-service.session', JSON.stringify({ ...session, receivedAt: Date.now() }));
        localStorage.setItem(
          'order-service.cart',
          JSON.stringify({ lines: [{ sku, quantity: 1 }], checkoutKey: null }),
        );
      },
      { session: register, sku },
    );
    await page.goto(`${refused.origin}/cart`);
    await page.getByLabel('Shipping address').fill('2 Closed Street');
    await page.getByRole('button', { name: 'Place order' }).click();
    const orderAlert = page.getByRole('alert');
    await orderAlert.getByText("We can't reach the shop right now").waitFor();
    expect(await orderAlert.getAttribute('data-error-code')).toBe('NETWORK');
    expect(new URL(page.url()).pathname).toBe('/cart');
    expect(await page.locator('[data-connection="connected"]').count()).toBe(0);

    const mine = await t.client.as(register.accessToken).ok(OrdersDocument, {});
    expect(mine.orders.totalCount).toBe(0);
    // Refused at the preflight: Chromium asked, and the API gave no permission it could use.
    expect(preflights.length).toBeGreaterThan(0);
  });
});
