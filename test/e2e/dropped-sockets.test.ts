// A subscriber whose connection drops (a phone going into a tunnel, a tab
// killed) is ordinary life, not a server error: 50 subscribers dropped at
// once, without a close frame, while changes are being sent to them, leave
// no error line in the log and nothing on stderr.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { CreateOrderDocument, UpdateOrderStatusDocument } from '../generated/graphql.js';
import { adminClient, addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { socketUrl, waitFor } from '../support/live.js';
import { capturedLogs } from '../support/log-lines.js';

const { logger, lines } = capturedLogs('info');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { logger });
});
afterAll(async () => {
  await t?.stop();
});

/** A raw graphql-transport-ws subscriber to every order change (an admin's view); resolves once it has one. */
async function subscriber(token: string): Promise<{ socket: WebSocket; received: () => number }> {
  const socket = new WebSocket(socketUrl(t.app.url), 'graphql-transport-ws');
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as { type: string };
      if (message.type === 'connection_ack') {
        socket.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: 'subscription { orderStatusChanged { status order { id } } }' },
          }),
        );
        resolve();
      }
      if (message.type === 'next') received++;
    });
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
  });
  return { socket, received: () => received };
}

it('50 subscribers dropped without a close frame while changes flow: no error line, nothing on stderr', async () => {
  const consoleErrors = vi.spyOn(console, 'error');
  const admin = await adminClient(t);
  const customer = await newCustomer(t);
  const sku = await addProduct(t, { stock: 1000 });
  const subscribers = await Promise.all(Array.from({ length: 50 }, () => subscriber(admin.token)));
  const witness = await subscriber(admin.token);

  // A change everyone hears: the subscriptions are live.
  const first = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity: 1 }], shippingAddress: 'x' },
  });
  await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: first.createOrder.id, status: 'PAID' } });
  await waitFor(
    'every subscriber heard the first change',
    () => subscribers.every((s) => s.received() >= 1) && witness.received() >= 1,
  );

  lines.length = 0;
  const orders = await Promise.all(
    Array.from({ length: 5 }, () =>
      customer.client.ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 1 }], shippingAddress: 'x' } }),
    ),
  );
  const moves = orders.map((o) =>
    admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: o.createOrder.id, status: 'PAID' } }),
  );
  // Dropped mid-flight: no close frame, the TCP connection just goes.
  for (const s of subscribers) s.socket.terminate();
  await Promise.all(moves);
  // The server has sent all five changes (to the witness, and tried the dropped ones).
  await waitFor('the witness heard all six changes', () => witness.received() >= 6);
  witness.socket.terminate();
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  expect(consoleErrors).not.toHaveBeenCalled();
  consoleErrors.mockRestore();
});
