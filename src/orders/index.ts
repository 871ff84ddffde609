// What the rest of the service may use of orders: the services that place,
// move and read them, their events, and the rule of who may see one.
export { AuditTrail } from './audit-trail.js';
export {
  ChangeFeed,
  compareKeys,
  decodeFeedCursor,
  FEED_START,
  type FeedKey,
  type FeedScope,
  type OrderChange,
} from './change-feed.js';
export { CommittedEvents, type CommittedEventsListener, type RequestMeta } from './committed-events.js';
export { visibleTo } from './order-access.js';
export {
  factsOf,
  OrderEventType,
  parseOrderEvent,
  type AnyOrderEvent,
  type MoneyData,
  type OrderCreatedData,
  type OrderEventEnvelope,
} from './order-events.js';
export { OrderHistory } from './order-history.entity.js';
export { OrderMoves, UnknownOrderError, type PaymentOutcome } from './order-moves.service.js';
export { OrderPlacement } from './order-placement.service.js';
export { loadOrderSnapshot, OrderReads } from './order-reads.service.js';
export type { OrderSnapshot } from './order-snapshot.js';
export { decodeCursor, encodeCursor, parseUuid, type Cursor } from './order-input.js';
export { Order, OrderItem } from './order.entity.js';
export { OrderResolver } from './order.resolver.js';
export { PageInfo } from './order.types.js';
export { parsePaymentProcessed, PaymentStatus, type PaymentProcessedData } from './payment-result.js';
export { OrderStatus, type Actor } from './status-machine.js';
