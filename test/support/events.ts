// Helpers for the event tests, over the real broker of the test app: the
// RabbitMQ vhost of the test file, or the app's in-process bus.
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { Broker, ConsumeOptions, Delivery, MessageHandler, Subscription } from '../../src/broker/broker.js';
import type { RetryPolicy } from '../../src/broker/retry.js';
import { InProcessBus } from '../../src/broker/in-process.js';
import { RabbitMqBroker } from '../../src/broker/rabbitmq.js';
import { deadLetterQueueOf, Exchange, RoutingKey, type Topology } from '../../src/broker/topology.js';
import { createLogger } from '../../src/logger.js';
import type { PaymentProcessedData } from '../../src/orders/payment-result.js';
import type { TestApp } from './harness.js';
import { waitFor } from './wait.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** The retry schedule in milliseconds, for tests of giving up (the real one takes about 46 s). */
export const QUICK_RETRY: RetryPolicy = {
  permanent: { tries: 5, delaysMs: [50, 100, 150, 200] },
  transient: { delaysMs: [50], budgetMs: 10_000 },
};

/**
 * Swaps the app's consumer of `queue` for `handler` on the quick schedule; the
 * returned subscription is the test's to cancel.
 */
export async function consumeQuickly(
  t: TestApp,
  queue: string,
  handler: MessageHandler,
  options: Partial<ConsumeOptions> = {},
): Promise<Subscription> {
  await t.app.workers?.subscriptions.get(queue)?.cancel();
  return t.app.broker.consume(queue, handler, { prefetch: 10, retry: QUICK_RETRY, ...options });
}

/** Publishes a PaymentProcessed as the payment service would; returns its envelope id. */
export async function publishPayment(
  t: TestApp,
  data: PaymentProcessedData,
  id: string = randomUUID(),
): Promise<string> {
  const envelope = { id, type: RoutingKey.PAYMENT_PROCESSED, occurredAt: new Date().toISOString(), data };
  await t.app.broker.publish({
    exchange: Exchange.PAYMENTS,
    routingKey: RoutingKey.PAYMENT_PROCESSED,
    messageId: id,
    type: envelope.type,
    body: envelope,
    correlationId: null,
  });
  return id;
}

/** Publishes raw bytes to the payments exchange (a poison message). */
export async function publishRawPayment(t: TestApp, content: Buffer, messageId = randomUUID()): Promise<string> {
  await t.app.broker.publish({
    exchange: Exchange.PAYMENTS,
    routingKey: RoutingKey.PAYMENT_PROCESSED,
    messageId,
    type: RoutingKey.PAYMENT_PROCESSED,
    body: content,
    correlationId: null,
  });
  return messageId;
}

/** The message ids waiting in `<queue>.dlq`, oldest first. Reading leaves them there. */
export async function deadLetterIds(t: TestApp, queue: string): Promise<(string | undefined)[]> {
  const broker = t.app.broker;
  if (broker instanceof InProcessBus) return broker.deadLetters(queue).map((m) => m.messageId);
  const connection = await amqp.connect(t.vhost.url as string);
  try {
    const channel = await connection.createChannel();
    const ids: (string | undefined)[] = [];
    for (;;) {
      const message = await channel.get(deadLetterQueueOf(queue), { noAck: false });
      if (!message) break;
      ids.push(message.properties.messageId as string | undefined);
    }
    // Closing without acks puts them back.
    await channel.close();
    return ids;
  } finally {
    await connection.close();
  }
}

/** A broker connection of the test's own on the same vhost (or the app's bus), e.g. for a second relay. */
export async function connectBroker(t: TestApp, topology: Topology): Promise<Broker> {
  const appBroker = t.app.broker;
  if (appBroker instanceof InProcessBus) {
    await appBroker.start(topology);
    // The same bus as the app's (there is only one per process); the app closes it.
    return {
      kind: appBroker.kind,
      start: (more) => appBroker.start(more),
      publish: (message) => appBroker.publish(message),
      consume: (queue, handler, options) => appBroker.consume(queue, handler, options),
      isConnected: () => appBroker.isConnected(),
      close: async () => undefined,
    };
  }
  const broker = new RabbitMqBroker(t.vhost.url as string, logger, { connectionName: 'test' });
  await broker.start(topology);
  await waitFor('the test broker connection', () => broker.isConnected(), 10_000);
  return broker;
}

export interface Observer {
  received: Delivery[];
  ids(): string[];
  close(): Promise<void>;
}

/** Binds a queue of the test's own to `orders` / `order.#` and records every order event that arrives. */
export async function observeOrderEvents(t: TestApp): Promise<Observer> {
  const queue = `test.observer.${randomUUID().slice(0, 8)}`;
  const broker = await connectBroker(t, {
    exchanges: [Exchange.ORDERS, Exchange.PAYMENTS, Exchange.DEAD_LETTERS],
    queues: [{ name: queue, bindings: [{ exchange: Exchange.ORDERS, routingKey: 'order.#' }] }],
  });
  const received: Delivery[] = [];
  const subscription = await broker.consume(
    queue,
    async (delivery) => {
      received.push(delivery);
    },
    { prefetch: 100 },
  );
  return {
    received,
    ids: () => received.map((d) => d.messageId ?? ''),
    async close() {
      await subscription.cancel();
      await broker.close();
    },
  };
}

/** Publishes a message of the shipping service (`shipment.shipped` or `shipment.delivered`); returns its id. */
export async function publishShipping(
  t: TestApp,
  type: 'shipment.shipped' | 'shipment.delivered',
  data: Record<string, unknown>,
  options: { id?: string; correlationId?: string | null } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  const envelope = { id, type, occurredAt: new Date().toISOString(), data };
  await t.app.broker.publish({
    exchange: Exchange.SHIPPING,
    routingKey: type,
    messageId: id,
    type,
    body: envelope,
    correlationId: options.correlationId ?? null,
  });
  return id;
}

/** Publishes raw bytes to the shipping exchange (a poison message). */
export async function publishRawShipping(t: TestApp, content: Buffer, messageId = randomUUID()): Promise<string> {
  await t.app.broker.publish({
    exchange: Exchange.SHIPPING,
    routingKey: RoutingKey.SHIPMENT_SHIPPED,
    messageId,
    type: RoutingKey.SHIPMENT_SHIPPED,
    body: content,
    correlationId: null,
  });
  return messageId;
}
