// orders.audit: the audit trail. Every order.* event becomes one
// OrderHistory row, exactly once per event id.
import type { MessageHandler } from '../src/broker/broker.js';
import type { Logger } from '../src/logger.js';
import { parseOrderEvent } from '../src/orders/order-events.js';
import type { OrderService } from '../src/orders/order.service.js';

export function auditHandler(orders: OrderService, logger: Logger): MessageHandler {
  return async (delivery) => {
    const event = parseOrderEvent(delivery.content);
    const written = await orders.recordHistory(event);
    if (!written) logger.debug({ eventId: event.id }, 'audit: event already recorded');
  };
}
