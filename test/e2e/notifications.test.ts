// Notifications end to end, through the GraphQL API and the broker: orders
// move (placed, paid, shipped, delivered; payment failed and cancelled;
// paid and cancelled) and each move yields exactly one email (a real SMTP
// server), one in-app notification and one signed webhook per endpoint (a
// real HTTP receiver). Then the caller's own in-app list, email preferences,
// and who may manage webhooks.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOrderDocument,
  CreateOrderDocument,
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  EnableWebhookEndpointDocument,
  MarkNotificationsReadDocument,
  NotificationPreferencesDocument,
  NotificationsDocument,
  OrderDocument,
  UnreadNotificationCountDocument,
  UpdateNotificationPreferencesDocument,
  UpdateOrderStatusDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
} from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { publishPayment } from '../support/events.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import {
  notificationCounts,
  startMailServer,
  startWebhookReceiver,
  type TestMailServer,
  type TestWebhookReceiver,
} from '../support/notifications.js';
import { settle, waitFor } from '../support/wait.js';

let t: TestApp;
let mail: TestMailServer;
let admin: Awaited<ReturnType<typeof adminClient>>['client'];
type Customer = Awaited<ReturnType<typeof newCustomer>>;

beforeAll(async () => {
  mail = await startMailServer();
  t = await startTestApp({
    SMTP_URL: mail.url,
    MAIL_FROM: 'orders@shop.test',
    EMAIL_RETRY_SCHEDULE: '200ms,200ms,200ms',
    WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  });
  admin = (await adminClient(t)).client;
});
afterAll(async () => {
  await t?.stop();
  await mail?.close();
});

async function placeOrder(customer: Customer, quantity = 2) {
  const sku = await addProduct(t, { stock: 20, priceMinor: 1999, currency: 'EUR' });
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity }], shippingAddress: '4 Webhook Way' },
  });
  return createOrder;
}

async function pay(orderId: string, minorUnits: number, failed?: string) {
  await publishPayment(t, {
    orderId,
    paymentId: `pay_${orderId.slice(0, 8)}`,
    status: failed ? 'FAILED' : 'SUCCEEDED',
    amount: { minorUnits, currencyCode: 'EUR' },
    ...(failed ? { reason: failed } : {}),
  });
  const wanted = failed ? 'PAYMENT_FAILED' : 'PAID';
  await waitFor(
    `order ${wanted}`,
    async () => (await admin.ok(OrderDocument, { id: orderId })).order?.status === wanted,
  );
}

const move = (orderId: string, status: 'SHIPPED' | 'DELIVERED' | 'CANCELLED') =>
  admin.ok(UpdateOrderStatusDocument, { input: { orderId, status } });

async function inApp(customer: Customer) {
  return (await customer.client.ok(NotificationsDocument, { first: 100 })).notifications.edges.map((e) => e.node);
}

const ref = (orderId: string) => orderId.slice(0, 8).toUpperCase();
const subjects = (address: string) => mail.to(address).map((m) => m.subject);
const eventsAt = (receiver: TestWebhookReceiver, orderId: string) =>
  receiver.received
    .map((r) => JSON.parse(r.body))
    .filter((e) => e.data.orderId === orderId)
    // Deliveries promise no order among themselves: compare in the order things happened.
    .sort((x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt));

describe('an order’s life, told on every channel', () => {
  it('yields exactly the expected emails, in-app notifications and webhook deliveries, each once', async () => {
    const everything = await startWebhookReceiver();
    const cancellations = await startWebhookReceiver();
    const all = (await admin.ok(CreateWebhookEndpointDocument, { input: { url: everything.url, eventTypes: ['*'] } }))
      .createWebhookEndpoint;
    const cancelled = (
      await admin.ok(CreateWebhookEndpointDocument, {
        input: { url: cancellations.url, eventTypes: ['order.cancelled'] },
      })
    ).createWebhookEndpoint;
    const before = await notificationCounts(t.app.metrics);
    const customer = await newCustomer(t);

    // A: placed, paid, shipped, delivered (staff ship and deliver it whole: one shipment, told once each).
    const a = await placeOrder(customer);
    await pay(a.id, 3998);
    await move(a.id, 'SHIPPED');
    await move(a.id, 'DELIVERED');
    // B: placed, payment failed, cancelled by the customer (nothing owed).
    const b = await placeOrder(customer, 1);
    await pay(b.id, 1999, 'Insufficient funds');
    await customer.client.ok(CancelOrderDocument, { input: { orderId: b.id, reason: 'changed my mind' } });
    // C: placed, paid, cancelled by staff (the total is owed back).
    const c = await placeOrder(customer, 3);
    await pay(c.id, 5997);
    await move(c.id, 'CANCELLED');

    const expectedSubjects = [
      `Order ${ref(a.id)} placed`,
      `Payment received for order ${ref(a.id)}`,
      `Order ${ref(a.id)} shipped`,
      `Order ${ref(a.id)} delivered`,
      `Order ${ref(b.id)} placed`,
      `Payment failed for order ${ref(b.id)}`,
      `Order ${ref(b.id)} cancelled`,
      `Order ${ref(c.id)} placed`,
      `Payment received for order ${ref(c.id)}`,
      `Order ${ref(c.id)} cancelled`,
    ];
    await waitFor('every email', () => subjects(customer.email).length >= expectedSubjects.length);
    await waitFor('every webhook', () => everything.received.length >= 12 && cancellations.received.length >= 2);
    await settle(1000);

    expect([...subjects(customer.email)].sort()).toEqual([...expectedSubjects].sort());
    const emailOf = (subject: string) => mail.to(customer.email).find((m) => m.subject === subject);
    expect(emailOf(`Order ${ref(a.id)} placed`)?.text).toMatch(/Total\s+€39\.98/);
    expect(emailOf(`Payment failed for order ${ref(b.id)}`)?.text).toContain('Reason: Insufficient funds');
    expect(emailOf(`Order ${ref(b.id)} cancelled`)?.text).toContain('Nothing was charged, so nothing is owed.');
    expect(emailOf(`Order ${ref(c.id)} cancelled`)?.text).toContain('Refund due: €59.97');
    expect(emailOf(`Order ${ref(c.id)} cancelled`)?.html).toContain('A refund of €59.97 is due to you.');

    const notifications = await inApp(customer);
    expect(notifications.map((n) => n.title)).toEqual([...expectedSubjects].reverse());
    expect(notifications.map((n) => n.type)).toEqual([
      'ORDER_CANCELLED',
      'ORDER_PAID',
      'ORDER_PLACED',
      'ORDER_CANCELLED',
      'PAYMENT_FAILED',
      'ORDER_PLACED',
      'ORDER_DELIVERED',
      'ORDER_SHIPPED',
      'ORDER_PAID',
      'ORDER_PLACED',
    ]);
    expect(notifications.every((n) => n.readAt === null)).toBe(true);

    // Shipping and delivering are each one change told by two events: the shipment's, then the status move's.
    expect(eventsAt(everything, a.id).map((e) => [e.type, e.data.toStatus ?? e.data.status])).toEqual([
      ['order.created', 'PENDING'],
      ['order.status_changed', 'PAID'],
      ['order.shipment_created', 'SHIPPED'],
      ['order.status_changed', 'SHIPPED'],
      ['order.shipment_delivered', 'DELIVERED'],
      ['order.status_changed', 'DELIVERED'],
    ]);
    expect(eventsAt(everything, b.id).map((e) => e.type)).toEqual([
      'order.created',
      'order.status_changed',
      'order.cancelled',
    ]);
    expect(eventsAt(everything, c.id)).toHaveLength(3);
    expect(everything.received).toHaveLength(12);
    expect(cancellations.received.map((r) => JSON.parse(r.body).data.orderId).sort()).toEqual([b.id, c.id].sort());

    // Every delivery verifies with the endpoint's secret; its id is the event's id.
    for (const request of [...everything.received, ...cancellations.received]) {
      const secret = cancellations.received.includes(request) ? cancelled.secret : all.secret;
      const verified = new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as {
        id: string;
      };
      expect(request.headers['webhook-id']).toBe(verified.id);
    }
    const deliveries = (await admin.ok(WebhookDeliveriesDocument, { endpointId: all.endpoint.id, first: 100 }))
      .webhookDeliveries;
    expect(deliveries).toHaveLength(12);
    expect(deliveries.every((d) => d.succeeded && d.attempt === 1 && d.statusCode === 200)).toBe(true);

    const after = await notificationCounts(t.app.metrics);
    expect(after.email.sent - before.email.sent).toBe(10);
    expect(after.inApp.sent - before.inApp.sent).toBe(10);
    expect(after.webhook.sent - before.webhook.sent).toBe(14);
    expect(after.webhook.failed - before.webhook.failed).toBe(0);

    for (const endpoint of [all, cancelled]) {
      await admin.ok(DeleteWebhookEndpointDocument, { id: endpoint.endpoint.id });
    }
    await everything.close();
    await cancellations.close();
  });
});

describe('webhook signatures', () => {
  it('verify with the endpoint’s secret; a tampered body or another secret fails', async () => {
    const receiver = await startWebhookReceiver();
    const { createWebhookEndpoint } = await admin.ok(CreateWebhookEndpointDocument, {
      input: { url: receiver.url, eventTypes: ['order.created'] },
    });
    expect(createWebhookEndpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const customer = await newCustomer(t);
    const order = await placeOrder(customer);
    const [request] = await waitFor('the delivery', () => {
      const found = receiver.received.filter((r) => JSON.parse(r.body).data.orderId === order.id);
      return found.length > 0 ? found : undefined;
    });
    const headers = request!.headers as Record<string, string>;
    const hook = new Webhook(createWebhookEndpoint.secret);
    expect(hook.verify(request!.body, headers)).toMatchObject({ type: 'order.created', data: { orderId: order.id } });
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const tampered = request!.body.replace('"PENDING"', '"PAID"');
    expect(tampered).not.toBe(request!.body);
    expect(() => hook.verify(tampered, headers)).toThrow(WebhookVerificationError);
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => new Webhook(other).verify(request!.body, headers)).toThrow(WebhookVerificationError);

    await admin.ok(DeleteWebhookEndpointDocument, { id: createWebhookEndpoint.endpoint.id });
    await receiver.close();
  });
});

describe('in-app notifications are the caller’s own', () => {
  it('pages newest first; counts and marks only the caller’s own unread ones', async () => {
    const ada = await newCustomer(t);
    const bob = await newCustomer(t);
    const orders = [await placeOrder(ada), await placeOrder(ada), await placeOrder(ada)];
    const bobs = await placeOrder(bob);
    await waitFor(
      'three for Ada, one for Bob',
      async () => (await inApp(ada)).length === 3 && (await inApp(bob)).length === 1,
    );

    // Ada never sees Bob's.
    const adas = await inApp(ada);
    expect(adas.map((n) => n.orderId).sort()).toEqual(orders.map((o) => o.id).sort());
    const [bobsNotification] = await inApp(bob);
    expect(bobsNotification?.orderId).toBe(bobs.id);

    const firstPage = (await ada.client.ok(NotificationsDocument, { first: 2 })).notifications;
    expect(firstPage.totalCount).toBe(3);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const secondPage = (await ada.client.ok(NotificationsDocument, { first: 2, after: firstPage.pageInfo.endCursor }))
      .notifications;
    expect(secondPage.pageInfo.hasNextPage).toBe(false);
    expect([...firstPage.edges, ...secondPage.edges].map((e) => e.node.id)).toEqual(adas.map((n) => n.id));
    expect(codes(await ada.client.request(NotificationsDocument, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await ada.client.request(NotificationsDocument, { after: 'bogus' }))).toEqual(['BAD_USER_INPUT']);

    expect((await ada.client.ok(UnreadNotificationCountDocument, {})).unreadNotificationCount).toBe(3);
    // Bob's id among Ada's is simply not counted, and stays unread.
    const marked = await ada.client.ok(MarkNotificationsReadDocument, {
      ids: [adas[0]!.id, adas[1]!.id, bobsNotification!.id],
    });
    expect(marked.markNotificationsRead).toBe(2);
    expect((await ada.client.ok(UnreadNotificationCountDocument, {})).unreadNotificationCount).toBe(1);
    expect((await bob.client.ok(UnreadNotificationCountDocument, {})).unreadNotificationCount).toBe(1);
    expect((await inApp(bob))[0]?.readAt).toBeNull();
    expect((await inApp(ada)).filter((n) => n.readAt !== null).map((n) => n.id)).toEqual([adas[0]!.id, adas[1]!.id]);
    // Bob cannot mark Ada's either; marking again marks nothing.
    expect((await bob.client.ok(MarkNotificationsReadDocument, { ids: [adas[2]!.id] })).markNotificationsRead).toBe(0);
    expect((await ada.client.ok(MarkNotificationsReadDocument, { ids: [adas[0]!.id] })).markNotificationsRead).toBe(0);
    expect(codes(await ada.client.request(MarkNotificationsReadDocument, { ids: ['not-a-uuid'] }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(codes(await t.client.request(NotificationsDocument, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('a customer who turns email off still gets in-app notifications, and no email', async () => {
    const customer = await newCustomer(t);
    expect((await customer.client.ok(NotificationPreferencesDocument, {})).notificationPreferences).toEqual({
      email: true,
      channels: ['EMAIL', 'IN_APP'],
    });
    const off = await customer.client.ok(UpdateNotificationPreferencesDocument, { email: false });
    expect(off.updateNotificationPreferences).toEqual({ email: false, channels: ['IN_APP'] });
    const quiet = await placeOrder(customer);
    await waitFor('the in-app notification', async () => (await inApp(customer)).length === 1);
    await settle(500);
    expect(mail.to(customer.email)).toHaveLength(0);

    await customer.client.ok(UpdateNotificationPreferencesDocument, { email: true });
    const loud = await placeOrder(customer);
    await waitFor('the email', () => mail.to(customer.email).length === 1);
    expect(mail.to(customer.email)[0]?.subject).toBe(`Order ${ref(loud.id)} placed`);
    expect(ref(quiet.id)).not.toBe(ref(loud.id));
  });
});

describe('webhook endpoints are for admins', () => {
  it('answers FORBIDDEN to a customer on every webhook operation', async () => {
    const customer = await newCustomer(t);
    const id = '00000000-0000-4000-8000-000000000000';
    const attempts = [
      customer.client.request(CreateWebhookEndpointDocument, {
        input: { url: 'https://partner.example/hook', eventTypes: ['*'] },
      }),
      customer.client.request(WebhookEndpointsDocument, {}),
      customer.client.request(WebhookDeliveriesDocument, { endpointId: id }),
      customer.client.request(DeleteWebhookEndpointDocument, { id }),
      customer.client.request(EnableWebhookEndpointDocument, { id }),
    ];
    for (const result of await Promise.all(attempts)) expect(codes(result)).toEqual(['FORBIDDEN']);
  });

  it('checks the URL and event types, shows the secret once, lists and deletes', async () => {
    const bad = [
      { url: 'ftp://partner.example/hook', eventTypes: ['*'] },
      { url: 'https://partner.example/hook', eventTypes: [] },
      { url: 'https://partner.example/hook', eventTypes: ['order.exploded'] },
      { url: 'https://partner.example/hook', eventTypes: ['payment.processed'] },
    ];
    for (const input of bad) {
      expect(codes(await admin.request(CreateWebhookEndpointDocument, { input }))).toEqual(['BAD_USER_INPUT']);
    }
    const receiver = await startWebhookReceiver();
    const { createWebhookEndpoint } = await admin.ok(CreateWebhookEndpointDocument, {
      input: { url: receiver.url, eventTypes: ['order.created', 'order.created', 'order.shipment_created'] },
    });
    const endpoint = createWebhookEndpoint.endpoint;
    expect(endpoint).toMatchObject({
      url: receiver.url,
      eventTypes: ['order.created', 'order.shipment_created'],
      enabled: true,
      disabledReason: null,
    });
    const listed = (await admin.ok(WebhookEndpointsDocument, {})).webhookEndpoints.find((e) => e.id === endpoint.id);
    expect(listed).toEqual(endpoint);
    expect(await admin.ok(WebhookDeliveriesDocument, { endpointId: endpoint.id })).toEqual({ webhookDeliveries: [] });

    expect((await admin.ok(DeleteWebhookEndpointDocument, { id: endpoint.id })).deleteWebhookEndpoint).toBe(true);
    expect((await admin.ok(DeleteWebhookEndpointDocument, { id: endpoint.id })).deleteWebhookEndpoint).toBe(false);
    expect(codes(await admin.request(WebhookDeliveriesDocument, { endpointId: endpoint.id }))).toEqual(['NOT_FOUND']);
    // A deleted endpoint hears nothing more.
    const customer = await newCustomer(t);
    await placeOrder(customer);
    await waitFor('the order to be told', async () => (await inApp(customer)).length === 1);
    await settle(300);
    expect(receiver.received).toHaveLength(0);
    await receiver.close();
  });
});
