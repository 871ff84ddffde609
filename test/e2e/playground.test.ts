// The playground: GraphiQL from the project's own node_modules, usable with
// no network beyond the service itself. The browser test drives Debian's
// Chromium through playwright-core and refuses every request off this host.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCustomer, startTestApp, type TestApp } from '../support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';
if (!haveChromium && !inCI) {
  console.warn(
    `Skipping the browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startTestApp({ GRAPHQL_PLAYGROUND: 'true' });
  base = new URL(t.app.url).origin;
});
afterAll(async () => {
  await t?.stop();
});

describe('the playground over HTTP', () => {
  it('serves GraphiQL at /playground and at /graphql for a browser, loading nothing from elsewhere', async () => {
    for (const path of ['/playground', '/graphql']) {
      const response = await fetch(`${base}${path}`, {
        headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await response.text();
      expect(html).toContain('/playground/assets/graphiql.js');
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('serves its scripts and styles from node_modules', async () => {
    for (const asset of ['react.js', 'react-dom.js', 'graphiql.js', 'start.js', 'graphiql.css']) {
      const response = await fetch(`${base}/playground/assets/${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length, asset).toBeGreaterThan(100);
    }
    expect((await fetch(`${base}/playground/assets/package.json`)).status).toBe(404);
  });

  it('leaves API requests to GraphQL, whatever their method', async () => {
    const response = await fetch(`${base}/graphql?query=${encodeURIComponent('{ products { sku } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { products: unknown[] } }).data.products.length).toBeGreaterThan(0);
  });

  it('is not served when the playground is off (production)', async () => {
    const off = await startTestApp({ GRAPHQL_PLAYGROUND: 'false' });
    try {
      const origin = new URL(off.app.url).origin;
      expect((await fetch(`${origin}/playground`)).status).toBe(404);
      const page = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('graphiql');
    } finally {
      await off.stop();
    }
  });
});

describe.skipIf(!haveChromium && !inCI)('the playground in headless Chromium, offline', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(
        `CI needs Chromium for the playground test: apt-get install -y chromium (looked for ${CHROMIUM})`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openPlayground(query: string) {
    const page = await browser.newPage();
    const offHost: string[] = [];
    const problems: string[] = [];
    // Anything not served by this host is refused, as on a network that blocks CDNs.
    await page.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
      offHost.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${base}/playground?query=${encodeURIComponent(query)}`);
    await page.locator('.graphiql-execute-button').waitFor();
    return { page, offHost, problems };
  }

  it('runs { products { sku } } and shows the result', async () => {
    const { page, offHost, problems } = await openPlayground('{ products { sku } }');
    try {
      await page.locator('.graphiql-execute-button').click();
      await expect.poll(() => page.locator('.result-window').innerText(), { timeout: 15_000 }).toContain('MUG-LOGO');
      expect(offHost).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('sends the Authorization header typed in the headers editor', async () => {
    const customer = await newCustomer(t);
    const { page, offHost } = await openPlayground('{ me { email } }');
    try {
      const headers = page.locator('.graphiql-editor-tool .graphiql-editor').last();
      await headers.click();
      await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${customer.token}` }));
      await page.locator('.graphiql-execute-button').click();
      await expect
        .poll(() => page.locator('.result-window').innerText(), { timeout: 15_000 })
        .toContain(customer.email);
      expect(offHost).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
