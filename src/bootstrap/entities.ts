// Every feature's database entities, for the ORM. A new feature adds its
// entities here (and a migration under migrations/).
import { RefreshToken, User } from '../auth/index.js';
import { Product } from '../catalog/index.js';
import { Shipment } from '../fulfilment/index.js';
import { NOTIFICATION_ENTITIES } from '../notifications/index.js';
import { Order, OrderHistory, OrderItem } from '../orders/index.js';

export const ENTITIES = [
  User,
  RefreshToken,
  Product,
  Order,
  OrderItem,
  OrderHistory,
  Shipment,
  ...NOTIFICATION_ENTITIES,
];
