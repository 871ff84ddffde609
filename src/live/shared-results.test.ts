import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { SharedResults, type EventResults } from './shared-results.js';

interface Tick {
  n: number;
}

/** A source the test feeds by hand, like a LiveSubscription. */
class Source implements AsyncIterator<Tick> {
  private readonly pulls: ((result: IteratorResult<Tick>) => void)[] = [];
  ended = false;

  push(tick: Tick): void {
    this.pulls.shift()?.({ value: tick, done: false });
  }

  next(): Promise<IteratorResult<Tick>> {
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.pulls.push(resolve));
  }

  return(): Promise<IteratorResult<Tick>> {
    this.ended = true;
    for (const pull of this.pulls.splice(0)) pull({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function setup() {
  const sources: Source[] = [];
  const resolved: string[] = [];
  const Tick = new GraphQLObjectType<Tick, { viewer: string }>({
    name: 'Tick',
    fields: {
      n: { type: new GraphQLNonNull(GraphQLInt) },
      seenBy: {
        type: new GraphQLNonNull(GraphQLString),
        resolve: (tick, _args, ctx) => {
          resolved.push(ctx.viewer);
          return `${ctx.viewer}:${tick.n}`;
        },
      },
      times: {
        type: new GraphQLNonNull(GraphQLInt),
        args: { by: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: (tick, args: { by: number }) => tick.n * args.by,
      },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: new GraphQLNonNull(Tick),
          subscribe: () => {
            const source = new Source();
            sources.push(source);
            return source;
          },
          resolve: (tick: Tick) => tick,
        },
      },
    }),
  });
  // The audience is the viewer, except "nobody", who shares with no one.
  const shared = new SharedResults((ctx) => {
    const viewer = (ctx as { viewer: string }).viewer;
    return viewer === 'nobody' ? null : viewer;
  });
  const document = parse('subscription ($by: Int!) { ticks { n seenBy times(by: $by) } }');
  const subscribe = async (viewer: string, by = 2, doc = document) =>
    (await shared.subscribe({
      schema,
      document: doc,
      variableValues: { by },
      contextValue: { viewer },
    } satisfies ExecutionArgs)) as EventResults;
  /** One event, the same object, to every source. */
  const emit = (n: number) => {
    const tick = { n };
    for (const source of sources) source.push(tick);
  };
  return { shared, sources, resolved, subscribe, emit, document };
}

const dataOf = (result: IteratorResult<ExecutionResult>) => (result.done ? undefined : result.value.data);

describe('SharedResults', () => {
  it('executes an event once for every subscriber with the same document, variables and audience', async () => {
    const { shared, subscribe, emit, resolved } = setup();
    const subscribers = await Promise.all([subscribe('admin'), subscribe('admin'), subscribe('admin')]);
    const next = subscribers.map((s) => s.next());
    emit(7);
    const results = await Promise.all(next);
    expect(results.map(dataOf)).toEqual(Array(3).fill({ ticks: { n: 7, seenBy: 'admin:7', times: 14 } }));
    // The very same result object: nothing executed or built per subscriber.
    expect(results[1]!.value).toBe(results[0]!.value);
    expect(shared.isEventResult(results[0]!.value as ExecutionResult)).toBe(true);
    expect(resolved).toEqual(['admin']);
    expect(shared.executed).toBe(1);
    expect(shared.delivered).toBe(3);
  });

  it('executes apart for another audience, other variables or another document, and never shares a null audience', async () => {
    const { subscribe, emit, resolved, shared } = setup();
    const other = parse('subscription ($by: Int!) { ticks { n seenBy times(by: $by) } }');
    const subscribers = await Promise.all([
      subscribe('alice'),
      subscribe('bob'),
      subscribe('alice', 3),
      subscribe('alice', 2, other),
      subscribe('nobody'),
      subscribe('nobody'),
    ]);
    const next = subscribers.map((s) => s.next());
    emit(1);
    expect((await Promise.all(next)).map(dataOf)).toEqual([
      { ticks: { n: 1, seenBy: 'alice:1', times: 2 } },
      { ticks: { n: 1, seenBy: 'bob:1', times: 2 } },
      { ticks: { n: 1, seenBy: 'alice:1', times: 3 } },
      { ticks: { n: 1, seenBy: 'alice:1', times: 2 } },
      { ticks: { n: 1, seenBy: 'nobody:1', times: 2 } },
      { ticks: { n: 1, seenBy: 'nobody:1', times: 2 } },
    ]);
    expect(resolved.sort()).toEqual(['alice', 'alice', 'alice', 'bob', 'nobody', 'nobody']);
    expect(shared.executed).toBe(6);
  });

  it('executes each new event again', async () => {
    const { subscribe, emit, shared } = setup();
    const [a, b] = await Promise.all([subscribe('admin'), subscribe('admin')]);
    for (const n of [1, 2]) {
      const next = [a!.next(), b!.next()];
      emit(n);
      expect((await Promise.all(next)).map((r) => (dataOf(r) as { ticks: Tick }).ticks.n)).toEqual([n, n]);
    }
    expect(shared.executed).toBe(2);
  });

  it('ends its source at once when returned while waiting for an event', async () => {
    const { subscribe, sources } = setup();
    const subscriber = await subscribe('admin');
    const waiting = subscriber.next();
    await expect(subscriber.return()).resolves.toEqual({ value: undefined, done: true });
    expect(sources[0]!.ended).toBe(true);
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
  });

  it('answers with the errors of a subscription that cannot start', async () => {
    const { shared, document } = setup();
    const result = await shared.subscribe({
      schema: new GraphQLSchema({
        query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
        subscription: new GraphQLObjectType({
          name: 'Subscription',
          fields: {
            ticks: {
              type: GraphQLString,
              args: { by: { type: GraphQLInt } },
              subscribe: () => {
                throw new Error('not you');
              },
            },
          },
        }),
      }),
      document,
      variableValues: { by: 1 },
      contextValue: { viewer: 'admin' },
    });
    expect((result as ExecutionResult).errors?.map((e) => e.message)).toEqual(['not you']);
    // Not an event's result: the socket reports it instead of closing (websocket.ts).
    expect(shared.isEventResult(result as ExecutionResult)).toBe(false);
  });
});
