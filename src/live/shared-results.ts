// A subscription's events executed once for everyone who asked the same.
// graphql-js's `subscribe` executes the selection set for each event and each
// subscriber: 10k subscribers to one change ran the same resolvers 10k times.
// Here an event's result is executed once per (event, document, operation,
// variables, audience) and every subscriber with that key gets the same
// result object. The audience is who the result may depend on (an ADMIN sees
// what every ADMIN sees; a customer, their own). Who gets an event at all is
// decided before this, per subscriber, by the source stream (fan-out.ts).
//
// The result is executed with the context of the first subscriber to pull
// the event; a result that could not be produced (the database away) is the
// same for all of them, and each socket acts on it (websocket.ts).
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';

/** Who a subscription's results may depend on, from its context; null when it must not share with anyone. */
export type AudienceOf = (contextValue: unknown) => string | null;

type Result = ExecutionResult | Promise<ExecutionResult>;

/** graphql-ws calls `return` when the client completes or the socket closes: it must reach the source at once. */
export interface EventResults extends AsyncIterableIterator<ExecutionResult> {
  return(): Promise<IteratorResult<ExecutionResult>>;
  throw(error: unknown): Promise<IteratorResult<ExecutionResult>>;
}

export class SharedResults {
  /** Each event's results by key; gone with the event once no subscriber holds it. */
  private readonly byEvent = new WeakMap<object, Map<string, Result>>();
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  /** The results of events, as opposed to a subscription's refusal to start (isEventResult). */
  private readonly eventResults = new WeakSet<ExecutionResult>();
  private nextDocumentId = 1;
  /** Results executed, and results handed on: their ratio is how much is shared. */
  executed = 0;
  delivered = 0;

  constructor(private readonly audienceOf: AudienceOf) {}

  /** `subscribe` for graphql-ws: graphql-js's, with each event's result shared. */
  subscribe = async (args: ExecutionArgs): Promise<EventResults | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterator(source)) return source as ExecutionResult;
    return new EventResultStream(source, this, args, this.keyOf(args));
  };

  /** The result of `event` for a subscription with these args and key: executed by the first to ask. */
  resultOf(args: ExecutionArgs, key: string | null, event: unknown): Result {
    this.delivered++;
    if (key === null || typeof event !== 'object' || event === null) return this.run(args, event);
    let results = this.byEvent.get(event);
    if (!results) this.byEvent.set(event, (results = new Map()));
    let result = results.get(key);
    if (!result) {
      result = this.run(args, event);
      results.set(key, result);
    }
    return result;
  }

  /** Whether `result` is an event's (not the errors of a subscription that could not start). */
  isEventResult(result: ExecutionResult): boolean {
    return this.eventResults.has(result);
  }

  private async run(args: ExecutionArgs, event: unknown): Promise<ExecutionResult> {
    this.executed++;
    const result = await execute({ ...args, rootValue: event });
    this.eventResults.add(result);
    return result;
  }

  private keyOf(args: ExecutionArgs): string | null {
    const audience = this.audienceOf(args.contextValue);
    if (audience === null) return null;
    let documentId = this.documentIds.get(args.document);
    if (documentId === undefined) this.documentIds.set(args.document, (documentId = this.nextDocumentId++));
    // Variables as sent: two subscribers whose clients send the same ones in another order do not share.
    return `${documentId}\0${args.operationName ?? ''}\0${JSON.stringify(args.variableValues ?? {})}\0${audience}`;
  }
}

function isAsyncIterator(value: unknown): value is AsyncIterator<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Each event of `source` mapped to its result; `return` and `throw` go straight to the source. A class, not
 * closures: ten thousand subscriptions hold one copy of its methods. `next` is a `.then` on the source's
 * promise, not an async function: an idle subscription waits in `next` for hours, and a suspended async
 * function holds its frame and two resume closures for as long as it waits.
 */
class EventResultStream implements EventResults {
  /** `settle` for this stream, made once: `next` hands it to every pending pull. */
  private readonly settleStep: (step: IteratorResult<unknown>) => Promise<IteratorResult<ExecutionResult>>;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly shared: SharedResults,
    private readonly args: ExecutionArgs,
    private readonly key: string | null,
  ) {
    this.settleStep = this.settle.bind(this);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(this.settleStep);
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    if (this.source.throw) return this.settle(await this.source.throw(error));
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async settle(step: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> {
    if (step.done) return { value: undefined, done: true };
    try {
      return { value: await this.shared.resultOf(this.args, this.key, step.value), done: false };
    } catch (error) {
      // execute() reports field errors in the result; what throws is a bug: end the source too.
      await this.source.return?.();
      throw error;
    }
  }
}
