import DataLoader from 'dataloader';
import type { AuthService } from '../auth/auth.service.js';
import type { Viewer } from '../auth/tokens.js';
import type { User } from '../auth/user.entity.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { UnauthenticatedError } from '../errors.js';
import type { OrderCache } from '../cache/order-cache.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { OrderUpdates } from '../live/order-updates.js';
import type { OrderHistory } from '../orders/order-history.entity.js';
import type { OrderService } from '../orders/order.service.js';
import type { NotificationService } from '../notifications/notification.service.js';
import type { WebhookEndpointService } from '../notifications/webhook-endpoint.service.js';
import type { Logger } from '../logger.js';

export interface Services {
  auth: AuthService;
  catalog: CatalogService;
  orders: OrderService;
  updates: OrderUpdates;
  orderCache: OrderCache;
  rateLimits: RateLimits;
  notifications: NotificationService;
  webhooks: WebhookEndpointService;
}

export interface GraphQLContext {
  requestId: string;
  ip: string;
  /** The authenticated caller, or null. */
  viewer: Viewer | null;
  /** Why a presented token was refused, raised only where a viewer is required. */
  authError: UnauthenticatedError | null;
  services: Services;
  loaders: ReturnType<typeof createLoaders>;
  logger: Logger;
}

export function requireViewer(ctx: GraphQLContext): Viewer {
  if (ctx.viewer) {
    if (ctx.viewer.expiresAt <= Date.now()) throw new UnauthenticatedError('Access token has expired');
    return ctx.viewer;
  }
  throw ctx.authError ?? new UnauthenticatedError();
}

/** Per-request batching: one query for all customers, one for all histories, in a response. */
export function createLoaders(services: Services) {
  return {
    userById: new DataLoader<string, User>((ids) => services.auth.getUsers(ids)),
    historyByOrderId: new DataLoader<string, OrderHistory[]>(async (ids) => {
      const byOrder = await services.orders.historyOf(ids);
      return ids.map((id) => byOrder.get(id) ?? []);
    }),
  };
}
