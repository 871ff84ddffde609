// The websocket's rule for outages (SPEC section 13, issue "outages heal"):
// a subscription event that could not be read whole because a dependency
// was away (a connection error, as node-postgres raises it) never reaches
// the subscriber as an error; the socket closes with 1013, which clients
// retry, resuming from their cursor. A bug is still reported as one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFieldConfig } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Role } from '../auth/role.js';
import type { Services } from '../graphql/context.js';
import { createLogger } from '../logger.js';
import { attachGraphQLWebSocket } from './websocket.js';

interface Change {
  id: string;
  trouble?: 'outage' | 'bug';
}

const ownerField: GraphQLFieldConfig<Change, unknown> = {
  type: new GraphQLNonNull(GraphQLString),
  resolve: (change) => {
    if (change.trouble === 'outage') {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }
    if (change.trouble === 'bug') throw new TypeError("Cannot read properties of undefined (reading 'id')");
    return 'owner';
  },
};
const ChangeType = new GraphQLObjectType<Change>({
  name: 'Change',
  fields: { id: { type: new GraphQLNonNull(GraphQLString) }, owner: ownerField },
});

function schemaYielding(changes: Change[]): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        change: {
          type: ChangeType,
          subscribe: async function* () {
            for (const change of changes) yield { change };
          },
        },
      },
    }),
  });
}

// Only what the socket itself uses: the authenticator (connection_init) and the context's loaders (built lazily).
const services = {
  authenticator: {
    authenticate: async () => ({ userId: 'u-1', role: Role.CUSTOMER, expiresAt: Date.now() + 60_000 }),
  },
} as unknown as Services;

let server: Server;
let url: string;
const changes: Change[] = [];
beforeAll(async () => {
  server = createServer();
  attachGraphQLWebSocket({
    httpServer: server,
    schema: schemaYielding(changes),
    services,
    logger: createLogger('silent'),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function run(list: Change[]) {
  changes.splice(0, changes.length, ...list);
  const received: { data?: unknown; errors?: readonly { extensions?: Record<string, unknown> }[] }[] = [];
  let closed: { code: number } | undefined;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: 'Bearer t' },
    on: { closed: (event) => (closed = event as { code: number }) },
  });
  await new Promise<void>((resolve) => {
    client.subscribe(
      { query: 'subscription { change { id owner } }' },
      { next: (result) => received.push(result), error: () => resolve(), complete: () => resolve() },
    );
  });
  await client.dispose();
  return { received, closed };
}

it('closes with 1013 instead of sending an event it could not read whole', async () => {
  const { received, closed } = await run([{ id: '1' }, { id: '2', trouble: 'outage' }, { id: '3' }]);
  expect(received).toEqual([{ data: { change: { id: '1', owner: 'owner' } } }]);
  expect(closed?.code).toBe(1013);
});

it('still reports a bug as a masked internal error, and carries on', async () => {
  const { received } = await run([{ id: '1', trouble: 'bug' }, { id: '2' }]);
  expect(received.map((r) => r.errors?.map((e) => e.extensions?.code))).toEqual([['INTERNAL_SERVER_ERROR'], undefined]);
});
