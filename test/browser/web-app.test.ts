// The web app in headless Chromium, served by the API at / (same origin):
// a customer's journey from sign-up to a delivered order, followed live; the
// staff board moving orders, and explaining a conflict; errors in words; a
// dropped connection resumed (or, with no cursor yet, read again) after it
// returns; fulfilment (an order shipped in two parcels from the board, a line
// cancelled, the refund due) followed live; one session shared by two tabs across token renewals. The README's
// screenshots are taken here (UPDATE_SCREENSHOTS=1 writes them to docs/screenshots/).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateOrderDocument,
  CreateShipmentDocument,
  OrderDocument,
  OrdersDocument,
  UpdateOrderStatusDocument,
  type OrderStatus,
} from '../generated/graphql.js';
import { publishPayment } from '../support/events.js';
import { ROOT } from '../support/compiled.js';
import {
  ADMIN,
  addProduct,
  adminClient,
  newCustomer,
  startTestApp,
  uniqueEmail,
  type TestApp,
} from '../support/harness.js';
import {
  buildWebApp,
  launchChromium,
  measureWebAppScripts,
  pageErrors,
  runBrowserTests,
  SocketSwitch,
} from './browser.js';

// The README's screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1 npm test), so a test run
// leaves the tree as it was; otherwise they go to a scratch directory, still taken (the page must render).
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(ROOT, 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'order-service-screenshots-'));
// Short-lived access tokens: every test here lives through renewals and the socket's close at expiry (4419).
const ACCESS_TOKEN_TTL_S = 10;
const LIVE_TIMEOUT = 15_000;
/** SPEC section 12's budget for the built app's JavaScript, gzipped. */
const SCRIPT_BUDGET_BYTES = 250 * 1024;

let t: TestApp;
let base: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!runBrowserTests) return;
  buildWebApp();
  t = await startTestApp({ ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL_S}s` });
  base = new URL(t.app.url).origin;
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await t?.stop();
});

async function newContext(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  contexts.push(context);
  return context;
}

async function register(page: Page, origin = base): Promise<string> {
  const email = uniqueEmail('shopper');
  await page.goto(`${origin}/register`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('password-123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: /Sign out/ }).waitFor();
  return email;
}

async function signInAsStaff(page: Page): Promise<void> {
  await page.goto(`${base}/signin?next=%2Fstaff`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Staff board' }).waitFor();
}

/** Staff's board in a browser of their own, signed in and live; `errors` collects the page's uncaught exceptions. */
async function openStaffBoard(): Promise<{ board: Page; errors: string[] }> {
  const staff = await newContext({ width: 1400, height: 900 });
  const board = await staff.newPage();
  const errors = pageErrors(board);
  await signInAsStaff(board);
  await board.locator('.board-header [data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
  return { board, errors };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Presses Tab until `target` has the focus (at most 60 times), checking at
 * every stop that the focused element shows it has the focus (an outline or
 * a ring), as a keyboard user needs to see.
 */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let presses = 0; presses < 60; presses++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const { document, getComputedStyle } = globalThis as unknown as {
        document: { activeElement: { tagName: string; textContent: string | null } | null };
        getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string; boxShadow: string };
      };
      const element = document.activeElement;
      if (!element || element.tagName === 'BODY') return null;
      const style = getComputedStyle(element);
      const shown = (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none';
      return { shown, what: `${element.tagName} ${(element.textContent ?? '').trim().slice(0, 40)}` };
    });
    if (focus) expect(focus.shown, `focus is not visible on ${focus.what}`).toBe(true);
    if (
      await target.evaluate(
        (element) =>
          element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
      )
    )
      return;
  }
  throw new Error('never reached by Tab');
}

let axeSource: string | undefined;

/** What axe-core (the engine of the common accessibility checkers) finds against WCAG 2.1 A and AA. */
async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol: the app's CSP (script-src 'self') rightly refuses an injected tag.
  axeSource ??= readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as { axe: AxeRunner; document: unknown };
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
}

/** The little of axe-core's API the check uses (it runs inside the page, where its types are not imported). */
interface AxeRunner {
  run(
    context: unknown,
    options: { runOnly: { type: 'tag'; values: string[] } },
  ): Promise<{
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
  }>;
}

function statusOf(page: Page): Promise<string | null> {
  return page.locator('.order-status [data-status]').getAttribute('data-status');
}

/** The statuses the timeline shows the order moving to, oldest first. */
function timelineOf(page: Page): Promise<(string | null)[]> {
  return page
    .locator('.timeline li[data-to-status]')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-to-status')));
}

/** One line of the order page's items table: its ordered, shipped and cancelled units, and its status. */
async function lineOf(page: Page, sku: string) {
  const row = page.locator(`.items tr[data-sku="${sku}"]`);
  const units = (which: string) => row.locator(`[data-units="${which}"]`).innerText();
  return {
    ordered: await units('ordered'),
    shipped: await units('shipped'),
    cancelled: await units('cancelled'),
    status: await row.getAttribute('data-item-status'),
  };
}

function storedSession(page: Page) {
  return page.evaluate(() => {
    const raw = localStorage.getItem('order-service.session');
    return raw ? (JSON.parse(raw) as { accessToken: string; refreshToken: string; user: { id: string } }) : null;
  });
}

/** Set once; still there later means the page was never reloaded. */
async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }));
  return () => page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument === true);
}

/** One order of another customer in each of PENDING, PAYMENT_FAILED, DELIVERED and CANCELLED; their ids by status. */
async function ordersInEveryState(): Promise<Record<string, string>> {
  const sku = await addProduct(t, { stock: 20, priceMinor: 899 });
  const admin = await adminClient(t);
  const moves: Record<string, OrderStatus[]> = {
    PENDING: [],
    PAYMENT_FAILED: ['PAYMENT_FAILED'],
    DELIVERED: ['PAID', 'SHIPPED', 'DELIVERED'],
    CANCELLED: ['CANCELLED'],
  };
  const ids: Record<string, string> = {};
  for (const [status, path] of Object.entries(moves)) {
    const customer = await newCustomer(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 2 }], shippingAddress: `${status} Avenue` },
    });
    for (const to of path) {
      await admin.client.ok(UpdateOrderStatusDocument, {
        input: { orderId: createOrder.id, status: to },
      });
    }
    ids[status] = createOrder.id;
  }
  return ids;
}

describe.skipIf(!runBrowserTests)('the web app in headless Chromium', () => {
  it('ships under 250 kB of gzipped JavaScript', () => {
    const size = measureWebAppScripts();
    console.log(
      `web app JavaScript: ${size.files} file(s), ${(size.bytes / 1024).toFixed(1)} kB, ${(size.gzipBytes / 1024).toFixed(1)} kB gzipped`,
    );
    expect(size.files).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThan(SCRIPT_BUDGET_BYTES);
  });

  it('a customer registers, orders (once, whatever the clicks and retries) and watches staff move the order live', async () => {
    const sku = await addProduct(t, { stock: 5, priceMinor: 1250 });
    const customer = await newContext();
    const page = await customer.newPage();
    const errors = pageErrors(page);
    await register(page);

    const product = page.locator(`li[data-sku="${sku}"]`);
    await product.getByText('5 in stock').waitFor();
    await product.getByRole('button', { name: /Add to cart/ }).click();
    await page.getByRole('link', { name: 'Cart (1)' }).click();
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
    await page.getByLabel('Shipping address').fill('1 Test Street\nTestville');

    // The first attempt reaches the API, but its answer is lost on the way back.
    let placed = 0;
    await page.route(`${base}/graphql`, async (route) => {
      if (!route.request().postData()?.includes('PlaceOrder') || placed++ > 0) return route.fallback();
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('alert').getByText("We can't reach the shop right now").waitFor();
    // The shopper tries again, impatiently.
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    await page.unroute(`${base}/graphql`);
    const orderId = page.url().split('/').pop()!;
    const session = await storedSession(page);
    const mine = await t.client.as(session!.accessToken).ok(OrdersDocument, {});
    expect(mine.orders.totalCount).toBe(1);
    expect(mine.orders.edges[0]!.node.id).toBe(orderId);

    await page.getByRole('heading', { name: /^Order / }).waitFor();
    expect(await statusOf(page)).toBe('PENDING');
    await page.locator('[data-testid="order-total"]').getByText('12.50').waitFor();
    await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    const sameDocument = await markDocument(page);

    // The payment service reports the payment: the page shows it without a reload.
    await publishPayment(t, {
      orderId,
      paymentId: randomUUID(),
      status: 'SUCCEEDED',
      amount: { minorUnits: 1250, currencyCode: 'EUR' },
    });
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('PAID');
    await page.locator('.timeline li[data-to-status="PAID"]').getByText('the payment service').waitFor();

    // Other customers' orders, in other states: the board shows every order in its status's column.
    const others = await ordersInEveryState();

    // Staff, in a browser of their own, ship it from the board.
    const { board, errors: boardErrors } = await openStaffBoard();
    const card = (status: string) => board.locator(`[data-column="${status}"] article[data-order-id="${orderId}"]`);
    for (const [status, id] of Object.entries(others)) {
      await board.locator(`[data-column="${status}"] article[data-order-id="${id}"]`).waitFor();
    }
    await card('PAID').getByRole('button', { name: 'Mark shipped' }).click();
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('SHIPPED');
    await card('SHIPPED').waitFor();
    await board.screenshot({ path: join(SCREENSHOTS, 'staff-board.png'), fullPage: true });

    await card('SHIPPED').getByRole('button', { name: 'Mark delivered' }).click();
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('DELIVERED');
    // The status may come from a re-read a moment before the change itself, which the timeline shows.
    await expect
      .poll(() => timelineOf(page), { timeout: LIVE_TIMEOUT })
      .toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED']);
    expect(await sameDocument()).toBe(true);
    await page.evaluate('getSelection()?.removeAllRanges()');
    await page.screenshot({ path: join(SCREENSHOTS, 'order-page.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, 'order-page-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(boardErrors).toEqual([]);
  });

  it('a customer watches staff ship their order in two parcels from the board, a line cancelled and the refund due, live', async () => {
    const books = await addProduct(t, { stock: 10, priceMinor: 1000 });
    const mugs = await addProduct(t, { stock: 10, priceMinor: 500 });
    const customer = await newContext();
    const page = await customer.newPage();
    const errors = pageErrors(page);
    await register(page);
    const session = await storedSession(page);
    const { createOrder } = await t.client.as(session!.accessToken).ok(CreateOrderDocument, {
      input: {
        items: [
          { sku: books, quantity: 3 },
          { sku: mugs, quantity: 2 },
        ],
        shippingAddress: '8 Parcel Place',
      },
    });
    const orderId = createOrder.id;
    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    await page.goto(`${base}/orders/${orderId}`);
    await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    expect(await statusOf(page)).toBe('PAID');
    await page.getByTestId('shipped-summary').getByText('0 of 5 items shipped.').waitFor();
    expect(await page.locator('[data-testid="refund-due"]').count()).toBe(0);
    const sameDocument = await markDocument(page);

    const { board, errors: boardErrors } = await openStaffBoard();
    const card = (status: string) => board.locator(`[data-column="${status}"] article[data-order-id="${orderId}"]`);
    const dialog = board.getByRole('dialog');
    const units = (sku: string) => dialog.getByLabel(`Test product ${sku}`, { exact: true });

    // First parcel: two of the three books.
    await card('PAID').getByRole('button', { name: 'Ship units…' }).click();
    await dialog.getByRole('heading', { name: /^Ship order / }).waitFor();
    expect(await units(books).inputValue()).toBe('3');
    expect(await units(mugs).inputValue()).toBe('2');
    await units(books).fill('2');
    await units(mugs).fill('0');
    await dialog.getByLabel('Carrier').fill('DHL');
    await dialog.getByLabel('Tracking number').fill('JD014600003828');
    await board.screenshot({ path: join(SCREENSHOTS, 'staff-ship-dialog.png') });
    await dialog.getByRole('button', { name: 'Create shipment' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card('PARTIALLY_SHIPPED').getByText('2 of 5 shipped').waitFor({ timeout: LIVE_TIMEOUT });
    await card('PARTIALLY_SHIPPED').getByText('Shipment of 2 units created').waitFor();

    // The customer's page follows without a reload: the status, the parcel and its tracking, the line's units.
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('PARTIALLY_SHIPPED');
    const parcels = page.locator('.parcels > li');
    await expect.poll(() => parcels.count(), { timeout: LIVE_TIMEOUT }).toBe(1);
    expect(await parcels.nth(0).getAttribute('data-shipment-status')).toBe('SHIPPED');
    expect(await parcels.nth(0).innerText()).toMatch(/DHL[\s\S]*JD014600003828[\s\S]*2 × Test product/);
    expect(await lineOf(page, books)).toEqual({
      ordered: '3',
      shipped: '2',
      cancelled: '0',
      status: 'PARTIALLY_SHIPPED',
    });
    expect(await lineOf(page, mugs)).toEqual({ ordered: '2', shipped: '0', cancelled: '0', status: 'PENDING' });
    await page.getByTestId('shipped-summary').getByText('2 of 5 items shipped.').waitFor();

    // One mug is cancelled: the order was paid, so its price is owed back.
    await card('PARTIALLY_SHIPPED').getByRole('button', { name: 'Cancel units…' }).click();
    await dialog.getByRole('heading', { name: /^Cancel items of order / }).waitFor();
    await units(mugs).fill('1');
    await dialog.getByLabel(/^Reason/).fill('Broken in the warehouse');
    await dialog.getByRole('button', { name: 'Cancel these units' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('refund-due').getByText('5.00').waitFor({ timeout: LIVE_TIMEOUT });
    expect(await lineOf(page, mugs)).toEqual({ ordered: '2', shipped: '0', cancelled: '1', status: 'PENDING' });
    await page
      .locator('.timeline li[data-event="order.lines_cancelled"]')
      .getByText('Broken in the warehouse')
      .waitFor();
    await page.getByTestId('shipped-summary').getByText('2 of 4 items shipped.').waitFor();
    await card('PARTIALLY_SHIPPED')
      .getByText(/^Refund due .*5\.00$/)
      .waitFor();

    // Second parcel: everything left (the form offers it all).
    await card('PARTIALLY_SHIPPED').getByRole('button', { name: 'Ship units…' }).click();
    expect(await units(books).inputValue()).toBe('1');
    expect(await units(mugs).inputValue()).toBe('1');
    await dialog.getByLabel('Carrier').fill('UPS');
    await dialog.getByLabel('Tracking number').fill('1Z999AA10123456784');
    await dialog.getByRole('button', { name: 'Create shipment' }).click();
    await card('SHIPPED').waitFor({ timeout: LIVE_TIMEOUT });
    expect(await card('SHIPPED').getByRole('button', { name: 'Ship units…' }).count()).toBe(0);

    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('SHIPPED');
    await expect.poll(() => parcels.count(), { timeout: LIVE_TIMEOUT }).toBe(2);
    expect(await parcels.nth(1).innerText()).toMatch(/UPS[\s\S]*1Z999AA10123456784/);
    expect(await lineOf(page, books)).toEqual({ ordered: '3', shipped: '3', cancelled: '0', status: 'SHIPPED' });
    expect(await lineOf(page, mugs)).toEqual({ ordered: '2', shipped: '1', cancelled: '1', status: 'SHIPPED' });
    await page.getByTestId('shipped-summary').getByText('4 of 4 items shipped.').waitFor();
    expect(await page.getByTestId('refund-due').innerText()).toContain('5.00');
    expect(await page.locator('.order-status [data-status]').innerText()).toBe('Shipped');
    await expect
      .poll(() => timelineOf(page), { timeout: LIVE_TIMEOUT })
      .toEqual(['PENDING', 'PAID', 'PARTIALLY_SHIPPED', 'SHIPPED']);
    expect(await sameDocument()).toBe(true);

    // What the page shows is what the API holds (asked with a fresh token: the first has expired by now).
    const { order } = await (await adminClient(t)).client.ok(OrderDocument, { id: orderId });
    expect(order!.status).toBe('SHIPPED');
    expect(order!.refundDue.minorUnits).toBe(500);
    expect(order!.shipments.map((s) => [s.carrier, s.trackingNumber])).toEqual([
      ['DHL', 'JD014600003828'],
      ['UPS', '1Z999AA10123456784'],
    ]);
    await page.evaluate('getSelection()?.removeAllRanges()');
    await page.screenshot({ path: join(SCREENSHOTS, 'order-page-shipments.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(boardErrors).toEqual([]);
  });

  it('tells staff in words when a shipment asks for more than is left, and shows what is', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 2 }], shippingAddress: '9 Overship Road' },
    });
    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'PAID' } });
    const { board, errors } = await openStaffBoard();
    const card = board.locator(`[data-column="PAID"] article[data-order-id="${createOrder.id}"]`);
    await card.getByRole('button', { name: 'Ship units…' }).click();
    const dialog = board.getByRole('dialog');
    const line = dialog.getByLabel(`Test product ${sku}`, { exact: true });
    expect(await line.inputValue()).toBe('2');

    // While this form is open, someone else ships one of the two.
    await admin.client.ok(CreateShipmentDocument, {
      input: { orderId: createOrder.id, lines: [{ sku, quantity: 1 }], carrier: 'Other desk' },
    });
    await dialog.getByRole('button', { name: 'Create shipment' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor({ timeout: LIVE_TIMEOUT });
    expect(await alert.getAttribute('data-error-code')).toBe('BAD_USER_INPUT');
    expect(await alert.innerText()).toContain(
      `You asked to ship 2 of Test product ${sku}, but only 1 is left to ship (the rest has already shipped or been cancelled).`,
    );
    await dialog.locator('[data-units-left="1"]').getByText('1 of 2 left').waitFor();

    // Typing more than the form says is left gets the same answer, in words.
    await line.fill('3');
    await dialog.getByRole('button', { name: 'Create shipment' }).click();
    await dialog.getByRole('alert').getByText('You asked to ship 3 of').waitFor({ timeout: LIVE_TIMEOUT });

    const { order } = await (await adminClient(t)).client.ok(OrderDocument, { id: createOrder.id });
    expect(order!.shipments).toHaveLength(1);
    expect(order!.status).toBe('PARTIALLY_SHIPPED');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });

  it('explains a CONFLICT on the staff board and reloads the order', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: '2 Race Road' },
    });
    const staff = await newContext({ width: 1400, height: 900 });
    const board = await staff.newPage();
    const errors = pageErrors(board);
    const socket = new SocketSwitch();
    await socket.install(board);
    await signInAsStaff(board);
    const card = (status: string) =>
      board.locator(`[data-column="${status}"] article[data-order-id="${createOrder.id}"]`);
    await card('PENDING').waitFor();
    await board.locator('.board-header [data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });

    // Another member of staff marks it paid; the news has not reached this board yet.
    socket.hold();
    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'PAID' } });
    expect(await card('PENDING').getAttribute('data-version')).toBe(String(createOrder.version));
    await card('PENDING').getByRole('button', { name: 'Cancel order' }).click();

    const alert = card('PAID').getByRole('alert');
    await alert.waitFor({ timeout: LIVE_TIMEOUT });
    expect(await alert.getAttribute('data-error-code')).toBe('CONFLICT');
    expect(await alert.innerText()).toContain('Someone else changed this order just before you did');
    expect(await card('PAID').getAttribute('data-version')).toBe(String(createOrder.version + 1));
    expect(await card('PENDING').count()).toBe(0);
    socket.release();
    expect(errors).toEqual([]);
  });

  it('says OUT_OF_STOCK in words and places nothing', async () => {
    const sku = await addProduct(t, { stock: 1 });
    const context = await newContext({ width: 390, height: 844 });
    const page = await context.newPage();
    await register(page);
    await page
      .locator(`li[data-sku="${sku}"]`)
      .getByRole('button', { name: /Add to cart/ })
      .click();
    // Someone else buys the last one first.
    const rival = await newCustomer(t);
    await rival.client.ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 1 }], shippingAddress: 'x' } });

    await page.getByRole('link', { name: 'Cart (1)' }).click();
    await page.getByLabel('Shipping address').fill('3 Late Lane');
    await page.getByRole('button', { name: 'Place order' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('OUT_OF_STOCK');
    expect(await alert.innerText()).toContain(`Sorry, we don't have enough of Test product ${sku} in stock for 1.`);
    expect(new URL(page.url()).pathname).toBe('/cart');
    const session = await storedSession(page);
    expect((await t.client.as(session!.accessToken).ok(OrdersDocument, {})).orders.totalCount).toBe(0);
  });

  it('says how long to wait when RATE_LIMITED, and keeps the button off until then', async () => {
    // An instance of its own, allowing one order a minute per customer.
    const limited = await startTestApp({ RATE_LIMIT_CREATE_ORDER: '1/1m' }, { shareWith: t });
    try {
      const origin = new URL(limited.app.url).origin;
      const sku = await addProduct(t, { stock: 5 });
      const context = await newContext({ width: 390, height: 844 });
      const page = await context.newPage();
      await register(page, origin);
      const session = await storedSession(page);
      await limited.client
        .as(session!.accessToken)
        .ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 1 }], shippingAddress: 'first' } });
      await page
        .locator(`li[data-sku="${sku}"]`)
        .getByRole('button', { name: /Add to cart/ })
        .click();
      await page.getByRole('link', { name: 'Cart (1)' }).click();
      await page.getByLabel('Shipping address').fill('6 Busy Street');
      await page.getByRole('button', { name: 'Place order' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.getAttribute('data-error-code')).toBe('RATE_LIMITED');
      expect(await alert.innerText()).toMatch(/Please wait \d+ seconds? and try again/);
      expect(await page.getByRole('button', { name: 'Place order' }).isDisabled()).toBe(true);
    } finally {
      await limited.stop();
    }
  });

  it('has no WCAG 2.1 A or AA violation that axe finds, on every page a shopper or staff uses, desktop and phone', async () => {
    const found: { page: string; violations: AxeViolation[] }[] = [];
    const check = async (page: Page, name: string) => found.push({ page: name, violations: await axeViolations(page) });
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const sku = await addProduct(t, { stock: 5 });
      const page = await (await newContext(viewport)).newPage();
      const at = (name: string) => `${name} at ${viewport.width}px`;
      await page.goto(`${base}/signin`);
      await page.getByLabel('Email').waitFor();
      await check(page, at('sign in'));
      await register(page);
      await page.locator(`li[data-sku="${sku}"]`).waitFor();
      await check(page, at('catalogue'));
      await page
        .locator(`li[data-sku="${sku}"]`)
        .getByRole('button', { name: /Add to cart/ })
        .click();
      await page.getByRole('link', { name: 'Cart (1)' }).click();
      await page.getByLabel('Shipping address').fill('1 Audit Avenue');
      await check(page, at('cart'));
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
      await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
      await check(page, at('order'));
      await page.goto(`${base}/orders`);
      await page
        .getByRole('heading', { name: /orders/i })
        .first()
        .waitFor();
      await check(page, at('my orders'));
    }
    const { board } = await openStaffBoard();
    await check(board, 'staff board');
    expect(found.filter((f) => f.violations.length > 0)).toEqual([]);
    expect(found).toHaveLength(11);
  });

  it('a shopper can order with the keyboard alone, and always sees where the focus is', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const page = await (await newContext()).newPage();
    await register(page);
    const addToCart = page.locator(`li[data-sku="${sku}"]`).getByRole('button', { name: /Add to cart/ });
    await addToCart.waitFor();
    await tabTo(page, addToCart);
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByRole('link', { name: 'Cart (1)' }));
    await page.keyboard.press('Enter');
    await page.getByLabel('Shipping address').waitFor();
    await tabTo(page, page.getByLabel('Shipping address'));
    await page.keyboard.type('2 Keyboard Close');
    await tabTo(page, page.getByRole('button', { name: 'Place order' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    expect(await statusOf(page)).toBe('PENDING');
  });

  it('resumes from the last change it saw after a dropped connection, with every missed change in order', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const context = await newContext();
    const socket = new SocketSwitch();
    await socket.install(context);
    const page = await context.newPage();
    await register(page);
    const session = await storedSession(page);
    const { createOrder } = await t.client
      .as(session!.accessToken)
      .ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 1 }], shippingAddress: '7 Resume Row' } });
    await page.goto(`${base}/orders/${createOrder.id}`);
    await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    const admin = await adminClient(t);
    const move = (status: OrderStatus) =>
      admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status } });
    await move('PAID');
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('PAID');
    const cursors = () =>
      socket.toPage
        .map(
          (text) =>
            JSON.parse(text) as { type: string; payload?: { data?: { orderStatusChanged?: { cursor: string } } } },
        )
        .filter((message) => message.type === 'next')
        .map((message) => message.payload?.data?.orderStatusChanged?.cursor);
    // The page may show PAID from a re-read (after its socket was renewed) a moment before the change arrives.
    await expect.poll(() => cursors().length, { timeout: LIVE_TIMEOUT }).toBe(1);
    const lastCursor = cursors().at(-1);
    expect(lastCursor).toEqual(expect.any(String));
    // On the wire is not yet in the page: cut before the page handles it and the page never had the cursor.
    await page.locator('article[data-live-changes="1"]').waitFor({ timeout: LIVE_TIMEOUT });
    const sameDocument = await markDocument(page);

    await socket.cut();
    await page.locator('[data-connection="reconnecting"]').waitFor();
    await move('SHIPPED');
    await move('DELIVERED');
    const sentBefore = socket.fromPage.length;
    socket.restore();

    // The subscription is sent again with `after` = the last cursor it had: a replay, not a re-read.
    // Wait for the message itself: a re-read still catching up on PAID's history row may show
    // DELIVERED before graphql-ws's back-off lets the socket connect again.
    const resubscribed = () =>
      socket.fromPage
        .slice(sentBefore)
        .map((text) => JSON.parse(text) as { type: string; payload?: { variables?: { after?: string } } })
        .find((message) => message.type === 'subscribe');
    await expect.poll(() => resubscribed() !== undefined, { timeout: LIVE_TIMEOUT }).toBe(true);
    expect(resubscribed()?.payload?.variables?.after).toBe(lastCursor);
    const replayed = () =>
      socket.toPage
        .map(
          (text) =>
            JSON.parse(text) as { type: string; payload?: { data?: { orderStatusChanged?: { version: number } } } },
        )
        .filter((message) => message.type === 'next')
        .map((message) => message.payload?.data?.orderStatusChanged?.version);
    await expect.poll(replayed, { timeout: LIVE_TIMEOUT }).toEqual([2, 3, 4]);
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('DELIVERED');
    await expect
      .poll(
        () =>
          page
            .locator('.timeline li[data-to-status]')
            .evaluateAll((items) => items.map((item) => item.getAttribute('data-to-status'))),
        {
          timeout: LIVE_TIMEOUT,
        },
      )
      .toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED']);
    expect(await sameDocument()).toBe(true);
  });

  it('catches up on changes made while the connection was down, before it had a cursor to resume from', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const context = await newContext();
    const socket = new SocketSwitch();
    await socket.install(context);
    const page = await context.newPage();
    await register(page);
    const session = await storedSession(page);
    const { createOrder } = await t.client
      .as(session!.accessToken)
      .ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 2 }], shippingAddress: '4 Gap Street' } });
    await page.goto(`${base}/orders/${createOrder.id}`);
    await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    const sameDocument = await markDocument(page);

    await socket.cut();
    await page.locator('[data-connection="reconnecting"]').waitFor();
    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'PAID' } });
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'SHIPPED' } });
    expect(await statusOf(page)).toBe('PENDING');

    socket.restore();
    await page.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    await expect.poll(() => statusOf(page), { timeout: LIVE_TIMEOUT }).toBe('SHIPPED');
    const timeline = await page
      .locator('.timeline li[data-to-status]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-to-status')));
    expect(timeline).toEqual(['PENDING', 'PAID', 'SHIPPED']);
    expect(await sameDocument()).toBe(true);
  });

  it('keeps two tabs signed in across token renewals (one renewal, not two) and the live page past its token', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const context = await newContext();
    // A slow renewal (slower than a background tab's throttled timers are late): both tabs are due at the
    // same moment, and each would be in time to spend the same refresh token.
    // Every refresh token presented: on a slow machine the renewed token may come due too before the end.
    const presented: string[] = [];
    await context.route(`${base}/graphql`, async (route) => {
      const body = route.request().postData();
      if (body?.includes('RenewSession')) {
        presented.push((JSON.parse(body) as { variables: { token: string } }).variables.token);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
      }
      return route.fallback();
    });
    const first = await context.newPage();
    await register(first);
    const initial = await storedSession(first);
    const { createOrder } = await t.client
      .as(initial!.accessToken)
      .ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 1 }], shippingAddress: '5 Twin Tabs' } });
    await first.goto(`${base}/orders/${createOrder.id}`);
    await first.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    const second = await context.newPage();
    await second.goto(`${base}/orders`);
    await second.locator(`tr[data-order-id="${createOrder.id}"]`).waitFor();

    // Both tabs are due to renew at the same moment; past the first token's expiry, both must still be in.
    await first.waitForTimeout((ACCESS_TOKEN_TTL_S + 3) * 1000);
    const renewed = await storedSession(first);
    expect(renewed).not.toBeNull();
    expect(renewed!.refreshToken).not.toBe(initial!.refreshToken);
    // A refresh token spent twice would have revoked the whole session on the server.
    const [revoked] = await t.app.orm.em
      .fork()
      .execute<{ n: number }[]>(
        'select count(*)::int as n from refresh_tokens where user_id = ? and revoked_at is not null',
        [initial!.user.id],
      );
    expect(revoked!.n).toBe(0);
    // Both tabs were due at once, yet each refresh token was presented once: one renewal between them.
    expect(presented).toContain(initial!.refreshToken);
    expect(new Set(presented).size).toBe(presented.length);
    await second.reload();
    await second.locator(`tr[data-order-id="${createOrder.id}"]`).waitFor();
    expect(await second.getByRole('button', { name: /Sign out/ }).count()).toBe(1);

    // The socket was closed (4419) when the first token expired; the page reconnected and is live again.
    await first.locator('[data-connection="connected"]').waitFor({ timeout: LIVE_TIMEOUT });
    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'PAID' } });
    await expect.poll(() => statusOf(first), { timeout: LIVE_TIMEOUT }).toBe('PAID');
    expect(await first.getByRole('button', { name: /Sign out/ }).count()).toBe(1);
  });
});
