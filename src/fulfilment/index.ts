// What the rest of the service may use of fulfilment: what a shipment is (its
// entity and GraphQL types), what the shipping service says about shipments
// (the `shipping` exchange's messages), and the deliveries that arrive before
// their shipment. Orders (orders/) apply all of it to an order under its lock.
export { keepEarlyDelivery, takeEarlyDelivery } from './early-deliveries.js';
export { Shipment, ShipmentStatus, type ShipmentLine } from './shipment.entity.js';
export {
  CreateShipmentInput,
  ShipmentLineInput,
  shipmentSnapshotOf,
  ShipmentType,
  type ShipmentSnapshot,
} from './shipment.types.js';
export {
  CARRIER_MAX,
  isPrintable,
  parseShippingMessage,
  SHIPMENT_ID_MAX,
  TRACKING_NUMBER_MAX,
  type ShipmentDeliveredData,
  type ShipmentShippedData,
  type ShippingMessage,
} from './shipping-messages.js';
