// On the defaults that matter here: no SMTP_URL (emails become .eml files
// under DATA_DIR/mail) and no WEBHOOK_ALLOW_PRIVATE_TARGETS (webhooks may
// only reach public addresses, checked at registration and again after DNS
// resolution at every delivery).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateOrderDocument,
  CreateWebhookEndpointDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
} from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { startWebhookReceiver } from '../support/notifications.js';
import { waitFor } from '../support/wait.js';

let t: TestApp;
let dataDir: string;
let admin: Awaited<ReturnType<typeof adminClient>>['client'];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'order-service-mail-'));
  t = await startTestApp({ DATA_DIR: dataDir, WEBHOOK_RETRY_SCHEDULE: '100ms' });
  admin = (await adminClient(t)).client;
});
afterAll(async () => {
  await t?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function placeOrder() {
  const sku = await addProduct(t, { stock: 5, priceMinor: 700, currency: 'GBP' });
  const customer = await newCustomer(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity: 3 }], shippingAddress: '5 Private Road' },
  });
  return { order: createOrder, customer };
}

describe('webhook targets inside our network', () => {
  it.each([
    ['http://127.0.0.1:8080/hook', /address 127\.0\.0\.1, which is not a public address/],
    ['http://localhost:8080/hook', /host localhost resolves to (127\.0\.0\.1|::1)/],
    ['http://[::1]/hook', /::1/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254/],
    ['http://10.20.30.40/hook', /10\.20\.30\.40/],
    ['http://192.168.0.10/hook', /192\.168\.0\.10/],
    ['http://100.64.1.1/hook', /100\.64\.1\.1/],
    ['http://[fd00::1]/hook', /fd00::1/],
    ['http://[::ffff:7f00:1]/hook', /::ffff:7f00:1/],
    ['http://0x7f.1/hook', /127\.0\.0\.1/],
  ])('are refused at registration: %s', async (url, why) => {
    const result = await admin.request(CreateWebhookEndpointDocument, { input: { url, eventTypes: ['*'] } });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toMatch(why);
    expect(result.errors?.[0]?.extensions?.field).toBe('url');
  });

  it('are refused at delivery, after DNS resolution: nothing reaches the receiver', async () => {
    const receiver = await startWebhookReceiver();
    // As if the name had resolved to a public address at registration and to loopback now (DNS rebinding).
    const endpointId = randomUUID();
    await t.app.orm.em
      .fork()
      .execute(`insert into webhook_endpoints (id, url, event_types, secret) values (?, ?, '{*}', ?)`, [
        endpointId,
        receiver.url.replace('127.0.0.1', 'localhost'),
        `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
      ]);
    const { order } = await placeOrder();
    const attempts = await waitFor('both tries to be refused', async () => {
      const list = (await admin.ok(WebhookDeliveriesDocument, { endpointId })).webhookDeliveries;
      return list.length === 2 ? list : undefined;
    });
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ succeeded: false, statusCode: null, eventType: 'order.created' });
      expect(attempt.error).toMatch(/^refused: host localhost resolves to (127\.0\.0\.1|::1), which is not a public/);
    }
    expect(receiver.received).toHaveLength(0);
    const endpoint = await waitFor('the endpoint to be disabled', async () => {
      const found = (await admin.ok(WebhookEndpointsDocument, {})).webhookEndpoints.find((e) => e.id === endpointId);
      return found && !found.enabled ? found : undefined;
    });
    expect(endpoint.disabledReason).toContain('which is not a public address');
    expect(order.id).toBeTruthy();
    await receiver.close();
  });
});

describe('email without SMTP_URL', () => {
  it('is written as an .eml file under DATA_DIR/mail, once per message', async () => {
    const { order, customer } = await placeOrder();
    const mailDir = join(dataDir, 'mail');
    const file = await waitFor('the .eml file', async () => {
      const files = await readdir(mailDir).catch(() => []);
      for (const name of files) {
        const parsed = await simpleParser(await readFile(join(mailDir, name)));
        if (parsed.subject === `Order ${order.id.slice(0, 8).toUpperCase()} placed`) return { name, parsed };
      }
      return undefined;
    });
    expect(file.name).toMatch(/^[0-9a-f-]{36}\.email@localhost\.eml$/);
    expect(file.parsed.to && !Array.isArray(file.parsed.to) ? file.parsed.to.value[0]?.address : null).toBe(
      customer.email,
    );
    expect(file.parsed.from?.value[0]).toEqual({ name: 'Order service', address: 'no-reply@localhost' });
    expect(file.parsed.text).toMatch(/3 × Test product TEST-\w+ \(£7\.00 each\)\s+£21\.00/);
    expect(file.parsed.html).toContain('£21.00');
  });
});
