// orders.audit: the audit trail. Every order.* event becomes one
// OrderHistory row, exactly once per event id.
import type { MessageHandler } from '../src/broker/broker.js';
import type { Logger } from '../src/logger.js';
import { parseOrderEvent } from '../src/orders/index.js';
import type { AuditTrail } from '../src/orders/index.js';

export function auditHandler(audit: AuditTrail, logger: Logger): MessageHandler {
  return async (delivery) => {
    const event = parseOrderEvent(delivery.content);
    const written = await audit.record(event);
    if (!written) logger.debug({ eventId: event.id }, 'audit: event already recorded');
  };
}
