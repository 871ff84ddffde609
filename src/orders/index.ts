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
  type LineData,
  type LinesCancelledData,
  type MoneyData,
  type OrderCreatedData,
  type OrderEventEnvelope,
  type OrderStatusChangedData,
  type ShipmentCreatedData,
  type ShipmentDeliveredData,
} from './order-events.js';
export { OrderHistory } from './order-history.entity.js';
export { UnknownOrderError } from './order-changes.js';
export { OrderFulfilmentResolver } from './order-fulfilment.resolver.js';
export { OrderFulfilment, type ShippingOutcome } from './order-fulfilment.service.js';
export { ItemStatus } from './order-lines.js';
export { OrderExpiry } from './order-expiry.js';
export { OrderMoves, type PaymentOutcome } from './order-moves.service.js';
export { OrderPlacement } from './order-placement.service.js';
export { loadOrderSnapshot, OrderReads } from './order-reads.service.js';
export { snapshotOf, type OrderSnapshot } from './order-snapshot.js';
export { decodeCursor, encodeCursor, parseUuid, type Cursor } from './order-input.js';
export { Order, OrderItem } from './order.entity.js';
export { OrderResolver } from './order.resolver.js';
export { PageInfo } from './order.types.js';
export { parsePaymentProcessed, PaymentStatus, type PaymentProcessedData } from './payment-result.js';
export { OrderStatus, SHIPPING, type Actor } from './status-machine.js';
