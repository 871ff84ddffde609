// The GraphQL client: urql with a normalised cache (graphcache), so a change
// that arrives on the socket updates every list and page showing that order;
// the auth exchange adds the access token and renews it before it expires or
// when the API refuses it; subscriptions go over graphql-ws (live.ts).
import { authExchange } from '@urql/exchange-auth';
import { cacheExchange, type Cache } from '@urql/exchange-graphcache';
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { RenewSessionDocument, type BoardUpdatesSubscription, type OrderStatus } from '../generated/graphql';
import { GRAPHQL_HTTP_URL } from './endpoint';
import { LiveConnection } from './live';
import { SessionStore, type SessionPayload } from './session';

export interface Api {
  client: Client;
  session: SessionStore;
  live: LiveConnection;
}

export function createApi(): Api {
  const session = new SessionStore();
  // Renewal goes around the main client: no cache, no token, no auth exchange waiting on itself.
  const renewal = new Client({ url: GRAPHQL_HTTP_URL, exchanges: [fetchExchange], preferGetMethod: false });
  session.setRenewer(async (refreshToken) => {
    const result = await renewal.mutation(RenewSessionDocument, { token: refreshToken }).toPromise();
    if (result.data) return result.data.refreshToken as SessionPayload;
    const refused = result.error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (refused) return null;
    throw result.error ?? new Error('The session could not be renewed');
  });
  const live = new LiveConnection(session);

  const client = new Client({
    url: GRAPHQL_HTTP_URL,
    // POST only: the API asks GET requests for a CSRF preflight header.
    preferGetMethod: false,
    exchanges: [
      cacheExchange({
        // Types without an id of their own live inside their parent.
        keys: {
          Money: () => null,
          OrderItem: () => null,
          ShipmentLine: () => null,
          OrderConnection: () => null,
          OrderEdge: () => null,
          PageInfo: () => null,
          OrderStatusChange: () => null,
          AuthPayload: () => null,
          Product: (product) => (typeof product.sku === 'string' ? product.sku : null),
        },
        updates: {
          Mutation: {
            createOrder: (_result, _args, cache) => {
              invalidateOrderLists(cache, () => true);
              cache.invalidate('Query', 'products'); // stock moved
            },
            cancelOrder: (_result, _args, cache) => {
              invalidateOrderLists(cache, () => true);
              cache.invalidate('Query', 'products');
            },
            createShipment: (_result, _args, cache) => invalidateOrderLists(cache, () => true),
            cancelOrderLines: (_result, _args, cache) => {
              invalidateOrderLists(cache, () => true);
              cache.invalidate('Query', 'products'); // cancelled units go back on sale
            },
          },
          Subscription: {
            orderStatusChanged: (result, _args, cache) => {
              const change = (result as Partial<BoardUpdatesSubscription>).orderStatusChanged;
              if (!change) return;
              // The order itself is already updated (it came with the change); lists by status gain or lose it.
              const touched = new Set<OrderStatus | null>([change.status, change.previousStatus]);
              invalidateOrderLists(cache, (status) => status === undefined || touched.has(status));
            },
          },
        },
      }),
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const current = session.current();
          return current
            ? utils.appendHeaders(operation, { Authorization: `Bearer ${current.accessToken}` })
            : operation;
        },
        willAuthError: () => session.needsRenewal(),
        didAuthError(error) {
          const refused = error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
          const sent = session.current();
          // Refused before its expiry (e.g. the API restarted with a new secret): renew and retry once.
          if (refused && sent) session.markRejected(sent.accessToken);
          return refused && sent !== null;
        },
        refreshAuth: () => session.renew(),
      })),
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: live.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
      fetchExchange,
    ],
  });
  return { client, session, live };
}

/** Drops cached `orders` lists whose status filter matches, so the views showing them fetch again. */
function invalidateOrderLists(cache: Cache, matches: (status: OrderStatus | undefined) => boolean): void {
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'orders') continue;
    const filter = field.arguments?.filter as { status?: OrderStatus } | null | undefined;
    if (matches(filter?.status ?? undefined)) cache.invalidate('Query', field.fieldName, field.arguments);
  }
}
