// Wraps a consumer's handler with what every consumer needs around it: the
// message's correlation id on every log line it writes, and the consumed /
// retried / dead-lettered counters of /metrics, decided by the same retry
// rule the brokers apply (retry.ts).
import { withCorrelationId } from '../observability/request-scope.js';
import type { MessageHandler } from './broker.js';
import { afterFailure } from './retry.js';

export interface DeliveryObserver {
  messageConsumed(queue: string): void;
  messageRetried(queue: string): void;
  messageDeadLettered(queue: string): void;
}

export function observed(queue: string, handler: MessageHandler, observer?: DeliveryObserver): MessageHandler {
  return async (delivery) => {
    const correlationId = delivery.correlationId ?? delivery.messageId;
    try {
      await (correlationId ? withCorrelationId(correlationId, () => handler(delivery)) : handler(delivery));
      observer?.messageConsumed(queue);
    } catch (error) {
      if (afterFailure(delivery.attempt).kind === 'dead-letter') observer?.messageDeadLettered(queue);
      else observer?.messageRetried(queue);
      throw error;
    }
  };
}
