// orders.payment-processed: applies PaymentProcessed to the order through
// OrderMoves.applyPaymentResult (inbox and move in one transaction). The
// broker acks after the handler resolves, i.e. after the commit.
import type { MessageHandler } from '../src/broker/broker.js';
import { Queue } from '../src/broker/topology.js';
import type { Logger } from '../src/logger.js';
import type { OrderMoves } from '../src/orders/index.js';
import { parsePaymentProcessed } from '../src/orders/index.js';

export function paymentProcessedHandler(moves: OrderMoves, logger: Logger): MessageHandler {
  return async (delivery) => {
    const payment = parsePaymentProcessed(delivery.content);
    const outcome = await moves.applyPaymentResult(payment, {
      consumer: Queue.PAYMENT_PROCESSED,
      correlationId: delivery.correlationId ?? null,
    });
    const log = { messageId: payment.id, orderId: payment.data.orderId, paymentId: payment.data.paymentId };
    if (outcome.kind === 'applied')
      logger.info({ ...log, status: outcome.status, reason: outcome.reason }, 'payment applied');
    else if (outcome.kind === 'duplicate') logger.debug(log, 'duplicate payment message: already applied');
    else logger.warn({ ...log, why: outcome.why }, 'payment changes nothing');
  };
}
