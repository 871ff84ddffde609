// Unpaid orders do not hold stock for ever (SPEC section 13): a PENDING or
// PAYMENT_FAILED order older than ORDER_PAYMENT_TIMEOUT is cancelled by
// system:expiry through the ordinary move (the row locked, the status
// machine asked, stock returned, the event written to the outbox and the
// change feed in one transaction). Every process that runs workers sweeps;
// the row lock makes a second sweeper find the order CANCELLED and pass, so
// each order is cancelled exactly once however many run.
import type { Orm } from '../db/orm.js';
import { InvalidStatusTransitionError } from '../errors.js';
import type { OrderMoves } from './order-moves.service.js';
import { Order } from './order.entity.js';
import { EXPIRY, OrderStatus } from './status-machine.js';

/** Orders cancelled per sweep at most; the next sweep takes the rest. */
const SWEEP_BATCH = 200;

export class OrderExpiry {
  constructor(
    private readonly orm: Orm,
    private readonly moves: OrderMoves,
    private readonly timeoutMs: number,
  ) {}

  /** Cancels the orders unpaid past the timeout, oldest first; how many this call cancelled. */
  async sweep(now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.timeoutMs);
    const due = await this.orm.em
      .fork()
      .find(
        Order,
        { status: { $in: [OrderStatus.PENDING, OrderStatus.PAYMENT_FAILED] }, createdAt: { $lt: cutoff } },
        { fields: ['id'], orderBy: { createdAt: 'asc' }, limit: SWEEP_BATCH },
      );
    let cancelled = 0;
    for (const { id } of due) {
      try {
        await this.moves.transition(EXPIRY, id, OrderStatus.CANCELLED, {
          reason: `Not paid within ${describeDuration(this.timeoutMs)}`,
          expectedVersion: undefined,
          meta: { correlationId: null },
        });
        cancelled++;
      } catch (error) {
        // Paid, cancelled, or expired by another process since it was read: nothing left to do.
        if (error instanceof InvalidStatusTransitionError) continue;
        throw error;
      }
    }
    return cancelled;
  }
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
