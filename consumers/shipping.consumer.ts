// orders.shipping: applies the shipping service's messages (`shipment.shipped`,
// `shipment.delivered`) to the order through OrderFulfilment.applyShippingMessage
// (inbox and change in one transaction). The broker acks after the handler
// resolves, i.e. after the commit; a malformed body or an unknown order throws
// and is retried, then dead-lettered.
import type { MessageHandler } from '../src/broker/broker.js';
import { Queue } from '../src/broker/topology.js';
import { UnreachableCaseError } from '../src/errors.js';
import { parseShippingMessage } from '../src/fulfilment/index.js';
import type { Logger } from '../src/logger.js';
import type { OrderFulfilment } from '../src/orders/index.js';

export function shippingHandler(fulfilment: OrderFulfilment, logger: Logger): MessageHandler {
  return async (delivery) => {
    const message = parseShippingMessage(delivery.content);
    const outcome = await fulfilment.applyShippingMessage(message, {
      consumer: Queue.SHIPPING,
      correlationId: delivery.correlationId ?? null,
    });
    const log = {
      messageId: message.id,
      type: message.type,
      orderId: message.data.orderId,
      shipmentId: message.data.shipmentId,
    };
    switch (outcome.kind) {
      case 'applied':
        logger.info({ ...log, status: outcome.status, version: outcome.version }, 'shipping message applied');
        return;
      case 'duplicate':
        logger.debug({ ...log, why: outcome.why }, 'duplicate shipping message: already applied');
        return;
      case 'kept':
        logger.info({ ...log, why: outcome.why }, 'delivery kept until its shipment arrives');
        return;
      case 'ignored':
        logger.warn({ ...log, why: outcome.why }, 'shipping message changes nothing');
        return;
      default:
        throw new UnreachableCaseError(outcome);
    }
  };
}
