// TRUST_PROXY (SPEC section 13): behind a load balancer every client arrives
// from the balancer's address; the per-IP limits must count the client the
// balancer names in X-Forwarded-For, over HTTP and over the websocket alike,
// and must ignore that header when no proxy is trusted (anyone can send it).
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LoginDocument } from '../generated/graphql.js';
import { codes, type GraphQLErrorBody } from '../support/client.js';
import { newCustomer, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { socketUrl } from '../support/live.js';

const LIMITS = { RATE_LIMIT_LOGIN_IP: '2/1m', RATE_LIMIT_LOGIN: '100000/1m' };

/** One failed login (an unknown account) from the client that `forwardedFor` names; its error codes. */
async function loginOverHttp(t: TestApp, forwardedFor: string): Promise<(string | undefined)[]> {
  const result = await t.client.request(
    LoginDocument,
    { input: { email: uniqueEmail(), password: 'wrong-password-1' } },
    { 'x-forwarded-for': forwardedFor },
  );
  return codes(result);
}

/** The same over a websocket whose upgrade carried X-Forwarded-For. */
async function loginOverSocket(t: TestApp, token: string, forwardedFor: string): Promise<(string | undefined)[]> {
  class ForwardedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: { 'x-forwarded-for': forwardedFor } });
    }
  }
  const client = createClient({
    url: socketUrl(t.app.url),
    webSocketImpl: ForwardedWebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  try {
    const errors = await new Promise<GraphQLErrorBody[]>((resolve, reject) => {
      let found: GraphQLErrorBody[] = [];
      client.subscribe(
        {
          query: print(LoginDocument),
          variables: { input: { email: uniqueEmail(), password: 'wrong-password-1' } },
        },
        {
          next: (result) => {
            found = (result.errors ?? []) as GraphQLErrorBody[];
          },
          error: reject,
          complete: () => resolve(found),
        },
      );
    });
    return errors.map((e) => e.extensions?.code);
  } finally {
    await client.dispose();
  }
}

describe('TRUST_PROXY=1 (one load balancer in front)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...LIMITS, TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('counts each forwarded client on its own over HTTP', async () => {
    expect(await loginOverHttp(t, '203.0.113.1')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverHttp(t, '203.0.113.1')).toEqual(['INVALID_CREDENTIALS']);
    // Another client behind the same balancer is not locked out by the first.
    expect(await loginOverHttp(t, '203.0.113.2')).toEqual(['INVALID_CREDENTIALS']);
    // Only the hop the balancer added counts: what the client itself put in front is not believed.
    expect(await loginOverHttp(t, '198.51.100.7, 203.0.113.2')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverHttp(t, '203.0.113.1')).toEqual(['RATE_LIMITED']);
  });

  it('counts the forwarded client over the websocket by the same rule', async () => {
    const customer = await newCustomer(t);
    expect(await loginOverSocket(t, customer.token, '203.0.113.10')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverSocket(t, customer.token, '203.0.113.10')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverSocket(t, customer.token, '203.0.113.11')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverSocket(t, customer.token, '203.0.113.10')).toEqual(['RATE_LIMITED']);
    // HTTP and the websocket share the count of one client.
    expect(await loginOverHttp(t, '203.0.113.11')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverHttp(t, '203.0.113.11')).toEqual(['RATE_LIMITED']);
  });
});

describe('TRUST_PROXY unset (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(LIMITS);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('ignores X-Forwarded-For over HTTP: a client cannot pick a fresh address per request', async () => {
    expect(await loginOverHttp(t, '203.0.113.1')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverHttp(t, '203.0.113.2')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginOverHttp(t, '203.0.113.3')).toEqual(['RATE_LIMITED']);
  });

  it('ignores it over the websocket too', async () => {
    const customer = await newCustomer(t);
    // The HTTP test above spent this address's two attempts: the socket is the same client.
    expect(await loginOverSocket(t, customer.token, '203.0.113.20')).toEqual(['RATE_LIMITED']);
  });
});
