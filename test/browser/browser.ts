// Shared by the browser tests: Debian's Chromium through playwright-core, the
// web app built once per run, and a switch on the page's websocket.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { chromium } from 'playwright-core';
import { ROOT } from '../support/compiled.js';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';
/** Without Chromium the browser tests are skipped locally (with a warning) and fail in CI. */
export const runBrowserTests = haveChromium || inCI;
if (!runBrowserTests) {
  console.warn(
    `Skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!haveChromium)
    throw new Error(`CI needs Chromium for the browser tests: apt-get install -y chromium (looked for ${CHROMIUM})`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** `vite build` into web/dist, which the API serves: the tests run today's app, as `npm start` would. */
export function buildWebApp(): void {
  // The package's bin (its exports do not list it): found beside its package.json.
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    // Vitest sets NODE_ENV=test, which would bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/** The built app's JavaScript: bytes on disk and gzipped (level 9), summed over every file. */
export function measureWebAppScripts(): { files: number; bytes: number; gzipBytes: number } {
  const assets = join(ROOT, 'web', 'dist', 'assets');
  const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
  let bytes = 0;
  let gzipBytes = 0;
  for (const name of scripts) {
    const content = readFileSync(join(assets, name));
    bytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { files: scripts.length, bytes, gzipBytes };
}

/** Uncaught exceptions in the page: a test ends by asserting there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/**
 * Sits between a page and the API's websocket (Playwright's websocket routing,
 * which forwards to the real server): `hold` keeps the server's messages back
 * and refuses new connections, as when an update is still on its way; `cut`
 * drops the connection and refuses new ones until `restore`.
 */
export class SocketSwitch {
  private holding = false;
  private refusing = false;
  /** Every message the page sent, and every one it was sent, in order (JSON text). */
  readonly fromPage: string[] = [];
  readonly toPage: string[] = [];
  private readonly routes = new Set<{ page: WebSocketRoute; server: WebSocketRoute; held: (string | Buffer)[] }>();

  async install(target: Page | BrowserContext): Promise<void> {
    await target.routeWebSocket(/\/graphql$/, (page) => this.attach(page));
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const route of this.routes) {
      for (const message of route.held.splice(0)) this.deliver(route.page, message);
    }
  }

  async cut(): Promise<void> {
    this.refusing = true;
    for (const route of [...this.routes]) {
      this.routes.delete(route);
      // 1012 (service restart): a close graphql-ws retries, as after an API restart.
      await route.page.close({ code: 1012, reason: 'connection cut by the test' });
      await route.server.close();
    }
  }

  restore(): void {
    this.refusing = false;
  }

  private deliver(page: WebSocketRoute, message: string | Buffer): void {
    this.toPage.push(message.toString());
    page.send(message);
  }

  private attach(page: WebSocketRoute): void {
    if (this.refusing || this.holding) {
      void page.close({ code: 1012, reason: 'refused by the test' });
      return;
    }
    const server = page.connectToServer();
    const route = { page, server, held: [] as (string | Buffer)[] };
    this.routes.add(route);
    page.onMessage((message) => {
      this.fromPage.push(message.toString());
      server.send(message);
    });
    server.onMessage((message) => {
      if (this.holding) route.held.push(message);
      else this.deliver(page, message);
    });
    page.onClose((code, reason) => {
      this.routes.delete(route);
      void server.close({ code, reason });
    });
    server.onClose((code, reason) => {
      this.routes.delete(route);
      void page.close({ code, reason });
    });
  }
}
