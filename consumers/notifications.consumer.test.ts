// The notifications consumer and its dispatchers on the real broker, a real
// SMTP server and real HTTP receivers, fed hand-made envelopes on the
// `orders` exchange: redeliveries, outages, retries, giving up, and a
// channel lost between the commit and the ack.
import { randomUUID } from 'node:crypto';
import { ConnectionException } from '@mikro-orm/core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFailure } from '../src/broker/failure.js';
import { Exchange, Queue } from '../src/broker/topology.js';
import { createLogger } from '../src/logger.js';
import { NotificationIntake } from '../src/notifications/intake.js';
import { UnknownOrderError } from '../src/orders/index.js';
import {
  CreateOrderDocument,
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  EnableWebhookEndpointDocument,
  NotificationsDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
} from '../test/generated/graphql.js';
import { consumeQuickly, deadLetterIds } from '../test/support/events.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../test/support/harness.js';
import {
  notificationCounts,
  startMailServer,
  startWebhookReceiver,
  type TestMailServer,
  type TestWebhookReceiver,
} from '../test/support/notifications.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { settle, waitFor } from '../test/support/wait.js';
import { notificationsHandler } from './notifications.consumer.js';

let t: TestApp;
let mail: TestMailServer;
let smtp: TcpProxy;
let admin: Awaited<ReturnType<typeof adminClient>>['client'];

beforeAll(async () => {
  mail = await startMailServer();
  smtp = await startTcpProxy(mail.url);
  t = await startTestApp({
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Test Shop <orders@shop.test>',
    EMAIL_RETRY_SCHEDULE: Array(20).fill('200ms').join(','),
    WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_TIMEOUT: '3s',
  });
  admin = (await adminClient(t)).client;
});
afterAll(async () => {
  await t?.stop();
  await smtp?.close();
  await mail?.close();
});

async function placeOrder(name = 'Blue mug') {
  const sku = await addProduct(t, { stock: 10, priceMinor: 1250, currency: 'EUR' });
  await t.app.orm.em.fork().execute('update products set name = ? where sku = ?', [name, sku]);
  const customer = await newCustomer(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity: 2 }], shippingAddress: '3 Notification Lane' },
  });
  return { order: createOrder, customer, sku };
}

interface Envelope {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

function envelope(type: string, data: Record<string, unknown>, id: string = randomUUID()): Envelope {
  return { id, type, occurredAt: new Date().toISOString(), data };
}

function paidEvent(orderId: string, customerId: string, id?: string) {
  return envelope(
    'order.status_changed',
    {
      orderId,
      customerId,
      fromStatus: 'PENDING',
      toStatus: 'PAID',
      version: 2,
      total: { minorUnits: 2500, currencyCode: 'EUR' },
      actor: 'system:payments',
      reason: null,
    },
    id,
  );
}

async function publish(event: Envelope, correlationId: string | null = 'corr-notifications-test') {
  await t.app.broker.publish({
    exchange: Exchange.ORDERS,
    routingKey: event.type,
    messageId: event.id,
    type: event.type,
    body: event,
    correlationId,
  });
}

async function registerEndpoint(receiver: TestWebhookReceiver, eventTypes = ['*']) {
  const { createWebhookEndpoint } = await admin.ok(CreateWebhookEndpointDocument, {
    input: { url: receiver.url, eventTypes },
  });
  return { id: createWebhookEndpoint.endpoint.id, secret: createWebhookEndpoint.secret };
}

const deleteEndpoint = (id: string) => admin.ok(DeleteWebhookEndpointDocument, { id });
const attemptsOf = async (endpointId: string, eventId: string) =>
  (await admin.ok(WebhookDeliveriesDocument, { endpointId, first: 100 })).webhookDeliveries.filter(
    (d) => d.eventId === eventId,
  );
const inAppFor = async (customer: Awaited<ReturnType<typeof newCustomer>>) =>
  (await customer.client.ok(NotificationsDocument, { first: 100 })).notifications.edges.map((e) => e.node);
const emailsAbout = (address: string, subject: string) => mail.to(address).filter((m) => m.subject === subject);
const countRows = async (sql: string, params: unknown[]) =>
  Number((await t.app.orm.em.fork().execute<{ n: string }[]>(sql, params))[0]?.n);

describe('the notifications consumer', () => {
  it('the same event delivered 5 times gives one email, one in-app notification and one webhook per endpoint', async () => {
    const a = await startWebhookReceiver();
    const b = await startWebhookReceiver();
    const endpointA = await registerEndpoint(a, ['order.status_changed']);
    const endpointB = await registerEndpoint(b, ['*']);
    try {
      const { order, customer } = await placeOrder();
      const event = paidEvent(order.id, customer.id);
      for (let i = 0; i < 5; i++) await publish(event);
      const subject = `Payment received for order ${order.id.slice(0, 8).toUpperCase()}`;

      await waitFor('the email and both webhooks', () =>
        emailsAbout(customer.email, subject).length === 1 && a.forEvent(event.id).length === 1
          ? b.forEvent(event.id).length === 1
          : false,
      );
      // The four copies meet the inbox row and change nothing (the delay lets them arrive).
      await settle(800);
      expect(
        await countRows(`select count(*) as n from processed_messages where consumer = ? and message_id = ?`, [
          Queue.NOTIFICATIONS,
          event.id,
        ]),
      ).toBe(1);
      expect(emailsAbout(customer.email, subject)).toHaveLength(1);
      expect(a.forEvent(event.id)).toHaveLength(1);
      expect(b.forEvent(event.id)).toHaveLength(1);
      expect((await inAppFor(customer)).filter((n) => n.type === 'ORDER_PAID')).toHaveLength(1);

      // Deterministic Message-ID: a receiver that got a second copy could tell.
      const email = emailsAbout(customer.email, subject)[0];
      expect(email?.messageId).toBe(`<${event.id}.email@shop.test>`);
      expect(email?.from?.value).toEqual([{ name: 'Test Shop', address: 'orders@shop.test' }]);
      expect(email?.text).toContain('€25.00');
      // The body is the envelope exactly as published, signed per Standard Webhooks.
      const request = b.forEvent(event.id)[0]!;
      expect(request.body).toBe(JSON.stringify(event));
      expect(new Webhook(endpointB.secret).verify(request.body, request.headers as Record<string, string>)).toEqual(
        event,
      );
      expect(request.headers['webhook-id']).toBe(event.id);
    } finally {
      await deleteEndpoint(endpointA.id);
      await deleteEndpoint(endpointB.id);
      await a.close();
      await b.close();
    }
  });

  it('tells about shipments (carrier, tracking number) and deliveries from hand-made fulfilment events', async () => {
    const { order, customer, sku } = await placeOrder('Green <b>teapot</b>');
    const ref = order.id.slice(0, 8).toUpperCase();
    const shipped = envelope('order.shipment_created', {
      orderId: order.id,
      customerId: customer.id,
      fromStatus: 'PAID',
      toStatus: 'SHIPPED',
      shipmentId: 'SHP-1001',
      lines: [{ sku, quantity: 2 }],
      carrier: 'DHL',
      trackingNumber: 'JD0123456789',
      version: 3,
      actor: 'system:shipping',
    });
    const delivered = envelope('order.shipment_delivered', {
      orderId: order.id,
      customerId: customer.id,
      fromStatus: 'SHIPPED',
      toStatus: 'DELIVERED',
      shipmentId: 'SHP-1001',
      lines: [{ sku, quantity: 2 }],
      version: 4,
      actor: 'system:shipping',
    });
    // Delivered a moment after shipped (in-app lists newest first by when it happened).
    delivered.occurredAt = new Date(Date.parse(shipped.occurredAt) + 1000).toISOString();
    await publish(shipped);
    await publish(delivered);

    const [shippedEmail] = await waitFor('the shipping email', () => {
      const found = emailsAbout(customer.email, `Order ${ref} shipped`);
      return found.length > 0 ? found : undefined;
    });
    expect(shippedEmail?.text).toContain('Carrier: DHL');
    expect(shippedEmail?.text).toContain('Tracking number: JD0123456789');
    expect(shippedEmail?.text).toContain('2 × Green <b>teapot</b>');
    expect(shippedEmail?.html).toContain('2 × Green &lt;b&gt;teapot&lt;/b&gt;');
    expect(shippedEmail?.html).not.toContain('<b>teapot');
    await waitFor('the delivery email', () => emailsAbout(customer.email, `Order ${ref} delivered`).length === 1);
    const inApp = await waitFor('both in-app notifications', async () => {
      const list = await inAppFor(customer);
      return list.length === 3 ? list : undefined;
    });
    expect(inApp.map((n) => n.type)).toEqual(['ORDER_DELIVERED', 'ORDER_SHIPPED', 'ORDER_PLACED']);
    expect(inApp[1]?.body).toContain('with DHL (tracking number JD0123456789)');
  });

  it('SMTP down for a while, then up: the email goes out once; webhooks flow meanwhile', async () => {
    const receiver = await startWebhookReceiver();
    const endpoint = await registerEndpoint(receiver, ['order.created']);
    const before = await notificationCounts(t.app.metrics);
    smtp.cut();
    try {
      const { order, customer } = await placeOrder();
      const placed = `Order ${order.id.slice(0, 8).toUpperCase()} placed`;
      const failedTries = async () =>
        countRows(
          `select count(*) as n from notification_delivery_attempts a join notification_deliveries d on d.id = a.delivery_id
           where d.order_id = ? and d.channel = 'EMAIL' and not a.succeeded`,
          [order.id],
        );
      // The webhook does not wait for the mail server.
      await waitFor('the webhook', () => receiver.received.some((r) => JSON.parse(r.body).data.orderId === order.id));
      await waitFor('two failed email tries', async () => (await failedTries()) >= 2);
      expect(mail.to(customer.email)).toHaveLength(0);

      smtp.restore();
      await waitFor('the email once SMTP is back', () => emailsAbout(customer.email, placed).length === 1);
      await settle(600);
      expect(emailsAbout(customer.email, placed)).toHaveLength(1);
      const email = emailsAbout(customer.email, placed)[0];
      expect(email?.text).toMatch(/2 × Blue mug \(€12\.50 each\)\s+€25\.00/);
      expect(email?.text).toMatch(/Total\s+€25\.00/);
      expect(email?.html).toContain('<th style="text-align:right">€25.00</th>');

      const after = await notificationCounts(t.app.metrics);
      expect(after.email.retried - before.email.retried).toBe(await failedTries());
      expect(after.email.sent - before.email.sent).toBeGreaterThanOrEqual(1);
      expect(after.webhook.sent - before.webhook.sent).toBeGreaterThanOrEqual(1);
      expect(after.inApp.sent - before.inApp.sent).toBeGreaterThanOrEqual(1);
    } finally {
      smtp.restore();
      await deleteEndpoint(endpoint.id);
      await receiver.close();
    }
  });

  it('an email the server refuses for good (5xx) is given up at once, kept as failed, and replayable', async () => {
    const before = await notificationCounts(t.app.metrics);
    const { order, customer } = await placeOrder();
    await waitFor('the order-placed email', () => mail.to(customer.email).length === 1);
    mail.refused.add(customer.email);
    const event = paidEvent(order.id, customer.id);
    await publish(event);
    const failed = await waitFor('the email to be given up', async () => {
      const [row] = await t.app.orm.em
        .fork()
        .execute<{ status: string; attempts: number; last_error: string }[]>(
          `select status, attempts, last_error from notification_deliveries where event_id = ? and channel = 'EMAIL'`,
          [event.id],
        );
      return row?.status === 'failed' ? row : undefined;
    });
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toMatch(/550/);
    const after = await notificationCounts(t.app.metrics);
    expect(after.email.failed - before.email.failed).toBe(1);

    // The replay docs/events.md gives, once the mailbox works again.
    mail.refused.delete(customer.email);
    await t.app.orm.em.fork().execute(
      `update notification_deliveries
       set status = 'pending', attempts = 0, next_attempt_at = now(), failed_at = null
       where channel = 'EMAIL' and status = 'failed'
         and failed_at > now() - interval '1 day'`,
    );
    const subject = `Payment received for order ${order.id.slice(0, 8).toUpperCase()}`;
    await waitFor('the replayed email', () => emailsAbout(customer.email, subject).length === 1);
    await settle(300);
    expect(emailsAbout(customer.email, subject)).toHaveLength(1);
  });

  it('an endpoint answering 500 then 200 gets the event on the third try; the attempts are listed', async () => {
    let calls = 0;
    const receiver = await startWebhookReceiver(() => (++calls <= 2 ? 500 : 200));
    const endpoint = await registerEndpoint(receiver, ['order.status_changed']);
    try {
      const { order, customer } = await placeOrder();
      const event = paidEvent(order.id, customer.id);
      await publish(event);
      const attempts = await waitFor('three attempts', async () => {
        const list = await attemptsOf(endpoint.id, event.id);
        return list.length === 3 ? list : undefined;
      });
      expect(attempts.map((a) => [a.attempt, a.succeeded, a.statusCode])).toEqual([
        [3, true, 200],
        [2, false, 500],
        [1, false, 500],
      ]);
      expect(attempts[1]?.error).toBe('HTTP 500: answer 500');
      const requests = receiver.forEvent(event.id);
      expect(requests).toHaveLength(3);
      // Every try carries the same id and body, each signed afresh.
      for (const request of requests) {
        expect(request.body).toBe(JSON.stringify(event));
        expect(() =>
          new Webhook(endpoint.secret).verify(request.body, request.headers as Record<string, string>),
        ).not.toThrow();
      }
      await settle(400);
      expect(receiver.forEvent(event.id)).toHaveLength(3);
    } finally {
      await deleteEndpoint(endpoint.id);
      await receiver.close();
    }
  });

  it('a redirect is not followed: the try fails, where it points hears nothing, the next try goes to the endpoint', async () => {
    // Where a redirect could lead (inside the network, in production): it must never be called.
    const elsewhere = await startWebhookReceiver();
    let calls = 0;
    const redirecting = await startWebhookReceiver(() =>
      ++calls === 1 ? { status: 307, headers: { location: elsewhere.url } } : 200,
    );
    const endpoint = await registerEndpoint(redirecting, ['order.status_changed']);
    try {
      const { order, customer } = await placeOrder();
      const event = paidEvent(order.id, customer.id);
      await publish(event);
      const attempts = await waitFor('two attempts', async () => {
        const list = await attemptsOf(endpoint.id, event.id);
        return list.length === 2 ? list : undefined;
      });
      expect(attempts.map((a) => [a.attempt, a.succeeded, a.statusCode])).toEqual([
        [2, true, 200],
        [1, false, 307],
      ]);
      expect(attempts[1]?.error).toBe('HTTP 307: redirects are not followed');
      expect(redirecting.forEvent(event.id)).toHaveLength(2);
      await settle(300);
      expect(elsewhere.received).toHaveLength(0);
    } finally {
      await deleteEndpoint(endpoint.id);
      await Promise.all([redirecting.close(), elsewhere.close()]);
    }
  });

  it('an endpoint that does not answer does not hold back another', async () => {
    const stuck = await startWebhookReceiver(() => 'hang');
    const healthy = await startWebhookReceiver();
    const stuckEndpoint = await registerEndpoint(stuck, ['order.status_changed']);
    const healthyEndpoint = await registerEndpoint(healthy, ['order.status_changed']);
    try {
      const { order, customer } = await placeOrder();
      const events = [paidEvent(order.id, customer.id), paidEvent(order.id, customer.id)];
      for (const event of events) await publish(event);
      await waitFor('the stuck endpoint to be called', () => stuck.received.length >= 1);
      await waitFor('the healthy endpoint to get both events', () =>
        events.every((e) => healthy.forEvent(e.id).length === 1),
      );
      // The stuck endpoint still holds its first request: no attempt of it has finished yet.
      expect(await attemptsOf(stuckEndpoint.id, events[0]!.id)).toHaveLength(0);
      expect(stuck.received).toHaveLength(1);
    } finally {
      await deleteEndpoint(stuckEndpoint.id);
      await deleteEndpoint(healthyEndpoint.id);
      await stuck.close();
      await healthy.close();
    }
  });

  it('gives a delivery up after the last retry, keeps it as failed, disables the endpoint; enabling it delivers', async () => {
    let up = false;
    const receiver = await startWebhookReceiver(() => (up ? 204 : 503));
    const endpoint = await registerEndpoint(receiver, ['order.status_changed']);
    const before = await notificationCounts(t.app.metrics);
    try {
      const { order, customer } = await placeOrder();
      const first = paidEvent(order.id, customer.id);
      await publish(first);
      const disabled = await waitFor('the endpoint to be disabled', async () => {
        const { webhookEndpoints } = await admin.ok(WebhookEndpointsDocument, {});
        const found = webhookEndpoints.find((e) => e.id === endpoint.id);
        return found && !found.enabled ? found : undefined;
      });
      // One try and the three retries of WEBHOOK_RETRY_SCHEDULE.
      expect(receiver.forEvent(first.id)).toHaveLength(4);
      expect(disabled.disabledReason).toContain(`Disabled after 4 failed attempts to deliver event ${first.id}`);
      expect(disabled.disabledReason).toContain('HTTP 503');
      const status = await t.app.orm.em
        .fork()
        .execute<{ status: string }[]>(
          `select status from notification_deliveries where event_id = ? and endpoint_id = ?`,
          [first.id, endpoint.id],
        );
      expect(status).toEqual([{ status: 'failed' }]);
      const after = await notificationCounts(t.app.metrics);
      expect(after.webhook.failed - before.webhook.failed).toBe(1);
      expect(after.webhook.retried - before.webhook.retried).toBe(3);

      // While disabled, new events are held, not sent and not lost.
      const second = paidEvent(order.id, customer.id);
      await publish(second);
      await waitFor(
        'the held delivery',
        async () =>
          (await countRows(`select count(*) as n from notification_deliveries where event_id = ? and endpoint_id = ?`, [
            second.id,
            endpoint.id,
          ])) === 1,
      );
      await settle(400);
      expect(receiver.forEvent(second.id)).toHaveLength(0);

      up = true;
      const { enableWebhookEndpoint } = await admin.ok(EnableWebhookEndpointDocument, { id: endpoint.id });
      expect(enableWebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null });
      await waitFor(
        'both events once the endpoint is enabled',
        () => receiver.forEvent(first.id).length === 5 && receiver.forEvent(second.id).length === 1,
      );
      await settle(300);
      expect(receiver.forEvent(first.id)).toHaveLength(5);
      expect(receiver.forEvent(second.id)).toHaveLength(1);
    } finally {
      await deleteEndpoint(endpoint.id);
      await receiver.close();
    }
  });

  it('a delivery leased by a dispatcher that died is sent once its lease runs out', async () => {
    const receiver = await startWebhookReceiver();
    const endpoint = await registerEndpoint(receiver, ['order.cancelled']);
    try {
      const { order, customer } = await placeOrder();
      const event = envelope('order.cancelled', {
        orderId: order.id,
        customerId: customer.id,
        fromStatus: 'PENDING',
        toStatus: 'CANCELLED',
        version: 2,
        total: { minorUnits: 2500, currencyCode: 'EUR' },
        actor: customer.id,
        reason: null,
      });
      // As if a dispatcher had claimed the row (one try counted) and died before sending.
      await t.app.orm.em.fork().execute(
        `insert into notification_deliveries (id, event_id, event_type, order_id, channel, endpoint_id, body, attempts, locked_until)
         values (?, ?, ?, ?, 'WEBHOOK', ?, ?, 1, now() + interval '700 milliseconds')`,
        [randomUUID(), event.id, event.type, order.id, endpoint.id, JSON.stringify(event)],
      );
      await publish(event);
      await waitFor('the in-app notification', async () =>
        (await inAppFor(customer)).some((n) => n.type === 'ORDER_CANCELLED'),
      );
      await settle(300);
      expect(receiver.forEvent(event.id)).toHaveLength(0);
      const attempts = await waitFor('the delivery after the lease', async () => {
        const list = await attemptsOf(endpoint.id, event.id);
        return list.length > 0 ? list : undefined;
      });
      expect(attempts.map((a) => [a.attempt, a.succeeded])).toEqual([[2, true]]);
      expect(receiver.forEvent(event.id)).toHaveLength(1);
    } finally {
      await deleteEndpoint(endpoint.id);
      await receiver.close();
    }
  });

  it('an event about an unknown order is retried, then dead-lettered, and writes nothing', async () => {
    // The app's consumer swapped for one with the same handler and the retry schedule shortened (an
    // unknown order is otherwise given about 46 s); the next test swaps it again.
    const quick = await consumeQuickly(
      t,
      Queue.NOTIFICATIONS,
      notificationsHandler(new NotificationIntake(t.app.orm), { wake: () => undefined }, createLogger('silent')),
    );
    const event = paidEvent(randomUUID(), randomUUID());
    await publish(event);
    await waitFor('the dead letter', async () => (await deadLetterIds(t, Queue.NOTIFICATIONS)).includes(event.id));
    await quick.cancel();
    expect(await countRows(`select count(*) as n from notification_deliveries where event_id = ?`, [event.id])).toBe(0);
    expect(await countRows(`select count(*) as n from notifications where event_id = ?`, [event.id])).toBe(0);
    expect(await countRows(`select count(*) as n from processed_messages where message_id = ?`, [event.id])).toBe(0);
  });

  // Last: it replaces the app's consumer with one that drops its channel.
  it('a channel dropped between the commit and the ack: redelivered, and still one of each', async () => {
    const receiver = await startWebhookReceiver();
    const endpoint = await registerEndpoint(receiver, ['order.status_changed']);
    await t.app.workers?.subscriptions.get(Queue.NOTIFICATIONS)?.cancel();
    const handle = notificationsHandler(
      new NotificationIntake(t.app.orm),
      { wake: () => undefined },
      createLogger('silent'),
    );
    const seen: { messageId: string | undefined; redelivered: boolean }[] = [];
    let dropped = false;
    const subscription = await t.app.broker.consume(
      Queue.NOTIFICATIONS,
      async (delivery) => {
        seen.push({ messageId: delivery.messageId, redelivered: delivery.redelivered });
        await handle(delivery);
        if (!dropped && delivery.messageId === target) {
          dropped = true;
          await subscription.dropChannel();
        }
      },
      { prefetch: 10 },
    );
    let target = '';
    try {
      const { order, customer } = await placeOrder();
      const event = paidEvent(order.id, customer.id);
      target = event.id;
      await publish(event);
      await waitFor('the redelivery', () => seen.filter((s) => s.messageId === event.id).length >= 2);
      expect(seen.filter((s) => s.messageId === event.id).map((s) => s.redelivered)).toEqual([false, true]);
      const subject = `Payment received for order ${order.id.slice(0, 8).toUpperCase()}`;
      await waitFor(
        'the email and the webhook',
        () => emailsAbout(customer.email, subject).length === 1 && receiver.forEvent(event.id).length === 1,
      );
      await settle(1200);
      expect(emailsAbout(customer.email, subject)).toHaveLength(1);
      expect(receiver.forEvent(event.id)).toHaveLength(1);
      expect((await inAppFor(customer)).filter((n) => n.type === 'ORDER_PAID')).toHaveLength(1);
    } finally {
      await subscription.cancel();
      await deleteEndpoint(endpoint.id);
      await receiver.close();
    }
  });
});

describe('errors the handler passes to the broker', () => {
  const delivery = (content: Buffer) => ({
    queue: Queue.NOTIFICATIONS,
    exchange: Exchange.ORDERS,
    routingKey: 'order.status_changed',
    messageId: 'm',
    correlationId: undefined,
    content,
    attempt: 1,
    redelivered: false,
  });
  const failingWith = (error: Error) =>
    notificationsHandler(
      { record: () => Promise.reject(error) } as unknown as NotificationIntake,
      { wake: () => undefined },
      createLogger('silent'),
    );
  const body = Buffer.from(JSON.stringify(paidEvent(randomUUID(), randomUUID())));

  it('marks a lost database connection transient: it says nothing about the message', async () => {
    const error = await failingWith(new ConnectionException(new Error('connection terminated')))(delivery(body)).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ transient: true });
  });

  it('leaves an unknown order and a malformed body counting toward the dead-letter bound', async () => {
    const unknown = await failingWith(new UnknownOrderError('x'))(delivery(body)).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownOrderError);
    expect(classifyFailure(unknown)).toBe('permanent');
    const malformed = await failingWith(new Error('unused'))(delivery(Buffer.from('{'))).catch((e: unknown) => e);
    expect(malformed).toMatchObject({ code: 'MALFORMED_MESSAGE' });
    expect(classifyFailure(malformed)).toBe('permanent');
  });
});
