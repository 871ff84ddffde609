// How every order change runs: a fresh unit of work and transaction, the
// order locked first, who may see it and which version the caller expects
// checked, the work done on the locked order, and the committed change
// reported (cache, live updates, the relay) only after the commit.
import { OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InventoryService } from '../catalog/index.js';
import type { Orm } from '../db/orm.js';
import { ConflictError } from '../errors.js';
import type { CommittedEvents } from './committed-events.js';
import { LockedOrder } from './locked-order.js';
import { requireVisible } from './order-access.js';
import type { Actor } from './status-machine.js';

/** A message names an order this service does not have: retried up to the bound, then dead-lettered. */
export class UnknownOrderError extends Error {
  readonly code = 'UNKNOWN_ORDER';
  constructor(orderId: string) {
    super(`No order ${orderId}`);
    this.name = 'UnknownOrderError';
  }
}

const MAX_LOCK_RETRIES = 3;

export class OrderChanges {
  constructor(
    private readonly orm: Orm,
    private readonly inventory: InventoryService,
    private readonly committed: CommittedEvents,
  ) {}

  /**
   * Runs `work` on the order locked in its own transaction. A person acts
   * only on an order they may see (NOT_FOUND otherwise, like a missing one);
   * a system actor (a consumer) on any, and a missing one is
   * UnknownOrderError. A caller that names `expectedVersion` and lost the race
   * gets CONFLICT, with nothing written.
   */
  async change<T>(
    target: { orderId: string; actor: Actor; expectedVersion?: number },
    work: (order: LockedOrder) => Promise<T>,
  ): Promise<{ result: T; order: LockedOrder }> {
    const { orderId, actor, expectedVersion } = target;
    const done = await this.inTransaction(expectedVersion !== undefined, async (tx) => {
      const order = await LockedOrder.lock(tx, orderId, this.inventory);
      if (actor.kind === 'user') requireVisible(actor, order && { customerId: order.ownerId });
      if (!order) throw new UnknownOrderError(orderId);
      if (expectedVersion !== undefined && order.version !== expectedVersion) {
        throw new ConflictError(
          `The order is at version ${order.version}, not ${expectedVersion}: reload it and try again`,
          { currentVersion: order.version },
        );
      }
      return { result: await work(order), order };
    });
    if (done.order.events.length > 0) this.committed.committed(done.order.order, done.order.events);
    return done;
  }

  /** A transaction on a fresh unit of work, retried when an optimistic lock lost (unless the caller pinned a version). */
  private async inTransaction<T>(versionPinned: boolean, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.orm.em.fork().transactional(work);
      } catch (error) {
        if (!(error instanceof OptimisticLockError)) throw error;
        if (versionPinned || attempt >= MAX_LOCK_RETRIES) {
          throw new ConflictError('The order was changed by someone else: reload it and try again');
        }
      }
    }
  }
}
