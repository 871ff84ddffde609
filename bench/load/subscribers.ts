// A forked subscriber process for the fan-out scenario: opens `count`
// sockets (graphql-ws subscriptions to orderStatusChanged, or plain ws for
// the baseline), then reports, for each socket, how long after the change's
// `changedAt` the n-th message arrived.
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { STATUS_SUBSCRIPTION } from '../lib/queries.js';

export type SubscriberRequest =
  | { type: 'connect'; mode: 'graphql-ws' | 'ws'; url: string; token: string; count: number; timeoutMs: number }
  /** Wait until every socket has `messages` messages, or the time is up. */
  | { type: 'await'; messages: number; timeoutMs: number }
  | { type: 'close' };

export type SubscriberReply =
  | { type: 'connected'; connected: number; failed: number; firstError: string | null }
  /** Milliseconds from changedAt to arrival of the awaited message, one per socket that got it. */
  | { type: 'received'; latenciesMs: number[]; missing: number };

const CONNECT_BATCH = 200;

interface Socket {
  received: number[];
  close(): void;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The arrival time minus the change's changedAt, from a graphql-ws `next` message. */
function latencyOf(raw: string, arrived: number): number {
  const message = JSON.parse(raw) as { payload?: { data?: { orderStatusChanged?: { changedAt?: string } } } };
  const changedAt = message.payload?.data?.orderStatusChanged?.changedAt;
  return changedAt ? arrived - Date.parse(changedAt) : Number.NaN;
}

function openPlain(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const socket: Socket = { received: [], close: () => ws.terminate() };
    ws.on('message', (data) => {
      const arrived = now();
      socket.received.push(latencyOf(data.toString(), arrived));
    });
    ws.once('open', () => resolve(socket));
    ws.once('error', reject);
  });
}

function openGraphqlWs(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = { received: [], close: () => void client.dispose() };
    const client: Client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => resolve(socket),
        closed: (event) => reject(new Error(`closed ${(event as { code?: number }).code ?? ''}`)),
        error: (error) => reject(error instanceof Error ? error : new Error(String(error))),
      },
    });
    client.subscribe(
      { query: STATUS_SUBSCRIPTION },
      {
        next: (result) => {
          const arrived = now();
          const changedAt = (result.data as { orderStatusChanged?: { changedAt?: string } } | null | undefined)
            ?.orderStatusChanged?.changedAt;
          socket.received.push(changedAt ? arrived - Date.parse(changedAt) : Number.NaN);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
  });
}

const sockets: Socket[] = [];

async function connect(request: Extract<SubscriberRequest, { type: 'connect' }>): Promise<SubscriberReply> {
  let firstError: string | null = null;
  const deadline = Date.now() + request.timeoutMs;
  for (let i = 0; i < request.count && Date.now() < deadline; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, request.count - i) }, () =>
      request.mode === 'ws' ? openPlain(request.url) : openGraphqlWs(request.url, request.token),
    );
    for (const outcome of await Promise.allSettled(batch)) {
      if (outcome.status === 'fulfilled') sockets.push(outcome.value);
      else {
        firstError ??= outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
      }
    }
  }
  return { type: 'connected', connected: sockets.length, failed: request.count - sockets.length, firstError };
}

async function awaitMessages(messages: number, timeoutMs: number): Promise<SubscriberReply> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && sockets.some((s) => s.received.length < messages)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const latenciesMs = sockets.flatMap((s) =>
    s.received.length >= messages ? [s.received[messages - 1] as number] : [],
  );
  return { type: 'received', latenciesMs, missing: sockets.length - latenciesMs.length };
}

process.on('message', (request: SubscriberRequest) => {
  const reply = (answer: SubscriberReply) => process.send?.(answer);
  switch (request.type) {
    case 'connect':
      void connect(request).then(reply);
      break;
    case 'await':
      void awaitMessages(request.messages, request.timeoutMs).then(reply);
      break;
    case 'close':
      for (const socket of sockets.splice(0)) socket.close();
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
