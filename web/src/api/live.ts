// The live connection: one graphql-ws socket for every subscription on the
// page, authenticated with a fresh access token each time it connects.
// - Resume: a subscription whose root field carries a `cursor` and takes
//   `after` (orderStatusChanged) has `after` set to the last cursor it got.
//   graphql-ws sends the same subscribe payload again on every reconnect, so
//   a reconnect replays exactly what was missed (SPEC section 9).
// - Tokens: the API closes the socket with 4419 when the token it was opened
//   with expires; graphql-ws retries that close like any other, and
//   connectionParams renews first. A token refused outright closes with 4401,
//   which graphql-ws treats as final: the subscriptions are started again
//   here, after renewing, a few times at most.
// - Anything else (the network, a restart of the API) is retried by
//   graphql-ws with a back-off capped at 10 s.
import { CloseCode, createClient, type Client, type SubscribePayload } from 'graphql-ws';
import type { FormattedExecutionResult } from 'graphql-ws';
import { GRAPHQL_WS_URL } from './endpoint';
import type { SessionStore } from './session';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface ConnectionSnapshot {
  state: ConnectionState;
  /** Counts every successful connection: a page with no cursor yet reads again when it moves. */
  generation: number;
}

interface Sink {
  next(value: FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>): void;
  error(error: unknown): void;
  complete(): void;
}

/** Refused (4401) this many times in a row without a connection in between, something else is wrong. */
const MAX_REAUTH_ATTEMPTS = 3;
/** The API's close code for an access token that expired while the socket was open (src/live/close-codes.ts). */
const ACCESS_TOKEN_EXPIRED = 4419;
const MAX_RETRY_WAIT_MS = 10_000;

export class LiveConnection {
  private readonly client: Client;
  private readonly listeners = new Set<() => void>();
  private snapshot: ConnectionSnapshot = { state: 'idle', generation: 0 };
  private active = 0;
  private tokenInUse: string | null = null;
  private refusedInARow = 0;

  constructor(private readonly session: SessionStore) {
    this.client = createClient({
      url: GRAPHQL_WS_URL,
      lazy: true,
      lazyCloseTimeout: 1_000,
      // A ping every 10 s notices a dead network long before TCP would.
      keepAlive: 10_000,
      retryAttempts: Infinity,
      retryWait: (retries) => wait(Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) + Math.random() * 500),
      shouldRetry: () => true,
      connectionParams: async () => {
        const token = await session.freshAccessToken();
        // graphql-ws closes with 4500 and reports this to every subscription: there is no one to connect as.
        if (!token) throw new Error('Sign in to follow orders live');
        this.tokenInUse = token;
        return { authorization: `Bearer ${token}` };
      },
      on: {
        connecting: () => this.set(this.snapshot.generation > 0 ? 'reconnecting' : 'connecting'),
        connected: () => {
          this.refusedInARow = 0;
          this.set('connected', this.snapshot.generation + 1);
        },
        closed: (event) => {
          const code = isCloseEvent(event) ? event.code : undefined;
          if (code === CloseCode.Unauthorized) this.refusedInARow++;
          // Renew before reconnecting, even if this clock thinks the token still has time.
          if ((code === CloseCode.Unauthorized || code === ACCESS_TOKEN_EXPIRED) && this.tokenInUse) {
            this.session.markRejected(this.tokenInUse);
          }
          this.set(this.active > 0 ? 'reconnecting' : 'idle');
        },
      },
    });
  }

  getSnapshot = (): ConnectionSnapshot => this.snapshot;

  subscribeToState = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Runs one subscription until unsubscribed, across token expiries and reconnects, resuming where it was. */
  subscribe(request: SubscribePayload, sink: Sink): () => void {
    let stopped = false;
    let dispose: () => void = () => {};
    // Ours to change: graphql-ws sends this very object again when it reconnects.
    const payload: SubscribePayload = { ...request, variables: { ...request.variables } };
    const resumable = /\$after\b/.test(payload.query);
    this.active++;
    const start = () => {
      dispose = this.client.subscribe<Record<string, unknown>, Record<string, unknown>>(payload, {
        next: (value) => {
          const cursor = cursorOf(value.data);
          if (resumable && cursor && payload.variables) payload.variables.after = cursor;
          sink.next(value);
        },
        complete: () => {
          if (!stopped) sink.complete();
        },
        error: (error) => {
          if (stopped) return;
          if (
            isCloseEvent(error) &&
            error.code === CloseCode.Unauthorized &&
            this.refusedInARow <= MAX_REAUTH_ATTEMPTS
          ) {
            // connectionParams renews the token that was just refused before connecting again.
            start();
            return;
          }
          sink.error(error);
        },
      });
    };
    start();
    return () => {
      if (stopped) return;
      stopped = true;
      this.active--;
      dispose();
      if (this.active === 0 && this.snapshot.state !== 'connected') this.set('idle');
    };
  }

  private set(state: ConnectionState, generation = this.snapshot.generation): void {
    if (state === this.snapshot.state && generation === this.snapshot.generation) return;
    this.snapshot = { state, generation };
    for (const listener of this.listeners) listener();
  }
}

/** The `cursor` of the subscription's root field, when it has one. */
function cursorOf(data: Record<string, unknown> | null | undefined): string | undefined {
  const root = data ? Object.values(data)[0] : undefined;
  if (typeof root !== 'object' || root === null || !('cursor' in root)) return undefined;
  return typeof root.cursor === 'string' ? root.cursor : undefined;
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
