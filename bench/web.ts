// `npm run bench:web [-- --runs=N]`: how soon the order page is interactive
// on the embedded defaults (SPEC section 12's 2 s). Starts the compiled
// service (dist/src/main.js, serving the built web/dist) with no
// DATABASE_URL, REDIS_URL or RABBITMQ_URL in a DATA_DIR of its own, registers
// a customer and places an order through the API, then opens /orders/<id>
// in headless Chromium with that session in localStorage and measures, from
// navigation start, when the order's status is shown and the page is live
// (data-connection="connected"). Cold runs each get a fresh browser context
// (no HTTP cache, no socket); warm runs navigate again in one context whose
// cache already holds the app. Prints median and p95 and the verdict; writes
// nothing (the figures are copied into README and bench/WEB-RESULTS.md by
// hand, with the date and load).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { assertBuilt, machineInfo, type BenchContext } from './lib/infra.js';
import { graphql, startService } from './lib/service.js';
import { percentile } from './lib/stats.js';

const BUDGET_MS = 2_000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SESSION_KEY = 'order-service.session';

const REGISTER = `mutation BenchWebRegister($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken expiresAt user { id email role } }
}`;
const PRODUCTS = `query BenchWebProducts { products { sku stock } }`;
const CREATE_ORDER = `mutation BenchWebOrder($input: CreateOrderInput!) { createOrder(input: $input) { id } }`;

interface SessionPayload {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; email: string; role: string };
}

function parseRuns(argv: string[]): number {
  let runs = 10;
  for (const arg of argv) {
    const match = /^--runs=(\d+)$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg}; usage: npm run bench:web -- [--runs=N]`);
    runs = Number(match[1]);
  }
  if (runs < 2) throw new Error('--runs must be at least 2');
  return runs;
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
}

/**
 * Set before the app's scripts run: the session in localStorage, and an
 * observer noting performance.now() (ms since navigation start) the first
 * time the status and the live connection are both on the page. A string:
 * it runs in the page, whose DOM types the bench does not compile against.
 */
function readyProbe(session: string): string {
  return `
    localStorage.setItem(${JSON.stringify(SESSION_KEY)}, ${JSON.stringify(session)});
    const observer = new MutationObserver(() => {
      if (globalThis.benchReadyAt !== undefined) return;
      if (document.querySelector('.order-status [data-status]') && document.querySelector('[data-connection="connected"]')) {
        globalThis.benchReadyAt = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true });
  `;
}

async function timeOrderPage(context: BrowserContext, url: string): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => (globalThis as { benchReadyAt?: number }).benchReadyAt !== undefined, null, {
      timeout: 30_000,
    });
    return await page.evaluate(() => (globalThis as { benchReadyAt?: number }).benchReadyAt as number);
  } finally {
    await page.close();
  }
}

function summary(label: string, samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const list = samples.map((ms) => ms.toFixed(0)).join(', ');
  console.log(
    `${label.padEnd(5)} n=${samples.length}  median ${p50.toFixed(0)} ms  p95 ${p95.toFixed(0)} ms  (runs: ${list})`,
  );
  return { p50, p95 };
}

async function main(): Promise<void> {
  const runs = parseRuns(process.argv.slice(2));
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  assertBuilt(repoRoot, ['dist/src/main.js', 'web/dist/index.html']);
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  const runId = `bench_web_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const ctx: BenchContext = {
    quick: false,
    runId,
    repoRoot,
    tmpDir: await mkdtemp(join(tmpdir(), `${runId}-`)),
    profileDir: null,
    pgAdminUrl: '',
    redisUrl: '',
    rabbitmqUrl: '',
    cleanups: [],
  };
  const machine = machineInfo();
  console.log(`${new Date().toISOString()}  node ${process.version}  ${machine.nproc} × ${machine.cpuModel}`);
  console.log(`load average at start (1, 5, 15 min): ${load()}`);
  let browser: Browser | undefined;
  try {
    // The embedded defaults: no DATABASE_URL, REDIS_URL or RABBITMQ_URL, a DATA_DIR of the run's own.
    const service = await startService(ctx, 'web-embedded', { DATA_DIR: join(ctx.tmpDir, 'data') });
    ctx.cleanups.push(() => service.child.stop());
    const { register } = await graphql<{ register: SessionPayload }>(service.url, REGISTER, {
      input: { email: `bench-web-${randomUUID().slice(0, 12)}@example.com`, password: 'bench-password-1' },
    });
    const { products } = await graphql<{ products: { sku: string; stock: number }[] }>(service.url, PRODUCTS, {});
    const product = products.find((p) => p.stock > 0);
    if (!product) throw new Error('the embedded catalogue has nothing in stock');
    const { createOrder } = await graphql<{ createOrder: { id: string } }>(
      service.url,
      CREATE_ORDER,
      { input: { items: [{ sku: product.sku, quantity: 1 }], shippingAddress: '1 Bench Street' } },
      register.accessToken,
    );
    const url = `${service.base}/orders/${createOrder.id}`;
    const session = JSON.stringify({ ...register, receivedAt: Date.now() });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const newContext = async () => {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addInitScript({ content: readyProbe(session) });
      return context;
    };
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await newContext();
      cold.push(await timeOrderPage(context, url));
      await context.close();
    }
    const warm: number[] = [];
    const context = await newContext();
    await timeOrderPage(context, url); // fills the cache; not counted
    for (let i = 0; i < runs; i++) warm.push(await timeOrderPage(context, url));
    await context.close();

    console.log(`\norder page: navigation start -> status shown and live, ${url.replace(/[0-9a-f-]{36}$/, '<id>')}`);
    const results = [summary('cold', cold), summary('warm', warm)];
    const worst = Math.max(...results.map((r) => r.p95));
    console.log(
      worst <= BUDGET_MS
        ? `verdict: within ${BUDGET_MS / 1000} s (worst p95 ${worst.toFixed(0)} ms)`
        : `verdict: OVER ${BUDGET_MS / 1000} s (worst p95 ${worst.toFixed(0)} ms)`,
    );
    console.log(`load average at end (1, 5, 15 min): ${load()}`);
  } finally {
    await browser?.close();
    for (const cleanup of ctx.cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => console.error('teardown:', error));
    }
    await rm(ctx.tmpDir, { recursive: true, force: true });
  }
}

await main();
