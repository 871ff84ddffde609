// Helpers for the live tests: a graphql-ws client that records what it
// receives and how its socket closed, polling waits, and a TCP proxy the
// test owns (cut it to take Redis away from the app without touching Redis).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { GraphQLErrorBody } from './client.js';

export { waitFor } from './wait.js';

export function socketUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface LiveClient {
  client: Client;
  /** Set once the socket closed: its code and reason. */
  closed: { code: number; reason: string } | null;
  acknowledged: boolean;
  dispose(): Promise<void>;
}

/** `authorization` as the client would send it in connection_init; undefined sends none. */
export function liveClient(httpUrl: string, authorization: string | undefined): LiveClient {
  const live: LiveClient = {
    client: undefined as unknown as Client, // set just below; the listeners need `live` first
    closed: null,
    acknowledged: false,
    async dispose() {
      await live.client.dispose();
    },
  };
  live.client = createClient({
    url: socketUrl(httpUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization === undefined ? {} : { authorization },
    on: {
      connected: () => {
        live.acknowledged = true;
      },
      closed: (event) => {
        const close = event as { code: number; reason: string };
        live.closed = { code: close.code, reason: String(close.reason) };
      },
    },
    onNonLazyError: () => undefined, // recorded by `closed`
  });
  return live;
}

export interface Subscription<R> {
  events: R[];
  errors: GraphQLErrorBody[];
  completed: boolean;
  stop(): void;
}

export function subscribe<R, V>(live: LiveClient, document: TypedDocumentNode<R, V>, variables?: V): Subscription<R> {
  const sub: Subscription<R> = { events: [], errors: [], completed: false, stop: () => undefined };
  sub.stop = live.client.subscribe<R>(
    { query: print(document), variables: (variables ?? {}) as Record<string, unknown> },
    {
      next: (result) => {
        if (result.data) sub.events.push(result.data as R);
        if (result.errors) sub.errors.push(...(result.errors as GraphQLErrorBody[]));
      },
      error: (error) => {
        if (Array.isArray(error)) sub.errors.push(...(error as GraphQLErrorBody[]));
        sub.completed = true;
      },
      complete: () => {
        sub.completed = true;
      },
    },
  );
  return sub;
}

/** One query or mutation over the socket. */
export async function executeOverSocket(
  live: LiveClient,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: unknown; errors?: GraphQLErrorBody[]; extensions?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    let result: { data?: unknown; errors?: GraphQLErrorBody[]; extensions?: Record<string, unknown> } = {};
    live.client.subscribe(
      { query, variables },
      {
        next: (value) => {
          result = value as typeof result;
        },
        error: (error) => resolve({ errors: Array.isArray(error) ? (error as GraphQLErrorBody[]) : [] }),
        complete: () => resolve(result),
      },
    );
  });
}

export interface TcpProxy {
  port: number;
  /** Drops every connection and stops accepting: to its clients the target is gone. */
  cut(): Promise<void>;
  /** Accepts again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const port = await listen(0);
  let up = true;
  return {
    port,
    async cut() {
      if (!up) return;
      up = false;
      await stop();
    },
    async restore() {
      if (up) return;
      await listen(port);
      up = true;
    },
    async close() {
      if (up) await stop();
      up = false;
    },
  };
}
