// The context of one GraphQL operation, built the same way for HTTP and the
// websocket: who is calling (authenticated once, by auth/authenticate.ts),
// the services, per-operation loaders and a logger stamped with the request id.
import DataLoader from 'dataloader';
import type { AuthService, Authenticator, Viewer, User } from '../auth/index.js';
import type { OrderCache } from '../cache/order-cache.js';
import type { CatalogService } from '../catalog/index.js';
import { UnauthenticatedError } from '../errors.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { LiveFanOut } from '../live/fan-out.js';
import type { LiveConnection } from '../live/subscription.js';
import type { NotificationService, WebhookEndpointService } from '../notifications/index.js';
import type { Logger } from '../logger.js';
import type {
  ChangeFeed,
  OrderFulfilment,
  OrderHistory,
  OrderMoves,
  OrderPlacement,
  OrderReads,
} from '../orders/index.js';

/** What the resolvers may call. */
export interface Services {
  auth: AuthService;
  authenticator: Authenticator;
  catalog: CatalogService;
  placement: OrderPlacement;
  moves: OrderMoves;
  fulfilment: OrderFulfilment;
  reads: OrderReads;
  feed: ChangeFeed;
  live: LiveFanOut;
  orderCache: OrderCache;
  rateLimits: RateLimits;
  notifications: NotificationService;
  webhooks: WebhookEndpointService;
}

/** The outcome of authenticating a caller: a viewer, or why the presented token was refused, or neither. */
export interface Caller {
  viewer: Viewer | null;
  /** Raised only where a viewer is required: register, login and products need none. */
  authError: UnauthenticatedError | null;
}

export const ANONYMOUS: Caller = { viewer: null, authError: null };

export interface GraphQLContext extends Caller {
  requestId: string;
  /** The client's address, as TRUST_PROXY decides it. */
  ip: string;
  services: Services;
  loaders: Loaders;
  logger: Logger;
  /** The websocket an operation runs on; null over HTTP. */
  connection: LiveConnection | null;
}

/** Authenticates a presented token (or none) without failing the request: public operations still run. */
export async function authenticateCaller(authenticator: Authenticator, token: string | undefined): Promise<Caller> {
  if (token === undefined) return ANONYMOUS;
  try {
    return { viewer: await authenticator.authenticate(token), authError: null };
  } catch (error) {
    if (error instanceof UnauthenticatedError) return { viewer: null, authError: error };
    throw error;
  }
}

/**
 * Loaders and the logger are made on first use: most operations (a cached
 * order(id)) need neither. They are getters on the prototype because Apollo
 * copies each context's own properties (Object.assign), which would call
 * getters defined on the object itself and build both every time.
 */
class OperationContext implements GraphQLContext {
  readonly viewer: Viewer | null;
  readonly authError: UnauthenticatedError | null;
  readonly connection: LiveConnection | null;
  private madeLoaders: Loaders | undefined;
  private madeLogger: Logger | undefined;

  constructor(
    readonly services: Services,
    private readonly parentLogger: Logger,
    readonly requestId: string,
    readonly ip: string,
    caller: Caller,
    connection: LiveConnection | undefined,
  ) {
    this.viewer = caller.viewer;
    this.authError = caller.authError;
    this.connection = connection ?? null;
  }

  get loaders(): Loaders {
    return (this.madeLoaders ??= createLoaders(this.services));
  }

  get logger(): Logger {
    return (this.madeLogger ??= this.parentLogger.child(
      this.connection ? { requestId: this.requestId, transport: 'ws' } : { requestId: this.requestId },
    ));
  }
}

export function createContext(
  services: Services,
  logger: Logger,
  request: { requestId: string; ip: string; connection?: LiveConnection },
  caller: Caller,
): GraphQLContext {
  return new OperationContext(services, logger, request.requestId, request.ip, caller, request.connection);
}

export function requireViewer(ctx: Caller): Viewer {
  if (ctx.viewer) {
    if (ctx.viewer.expiresAt <= Date.now()) throw new UnauthenticatedError('Access token has expired');
    return ctx.viewer;
  }
  throw ctx.authError ?? new UnauthenticatedError();
}

type Loaders = ReturnType<typeof createLoaders>;

/** Per-operation batching: one query for all customers, one for all histories, in a response. */
export function createLoaders(services: Services) {
  return {
    userById: new DataLoader<string, User>((ids) => services.auth.getUsers(ids)),
    historyByOrderId: new DataLoader<string, OrderHistory[]>(async (ids) => {
      const byOrder = await services.reads.historyOf(ids);
      return ids.map((id) => byOrder.get(id) ?? []);
    }),
  };
}
