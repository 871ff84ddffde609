// The order status machine as plain data (SPEC section 2): which moves exist,
// and who may make each one. Checked once at import by validateMachine().
import { Role } from '../auth/index.js';
import { InvalidStatusTransitionError } from '../errors.js';

export enum OrderStatus {
  PENDING = 'PENDING',
  PAID = 'PAID',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
  CANCELLED = 'CANCELLED',
}

/** Who asks for a move: a person with a role, or a consumer acting for the system. */
export type Actor = { kind: 'user'; userId: string; role: Role } | { kind: 'system'; name: string };

/** A signed-in person as the one who moves an order. */
export function userActor(viewer: { userId: string; role: Role }): Actor {
  return { kind: 'user', userId: viewer.userId, role: viewer.role };
}

export type ActorKind = 'CUSTOMER_OWNER' | 'ADMIN' | 'SYSTEM_PAYMENTS';

interface Transition {
  /** Who may make this move. */
  by: readonly ActorKind[];
}

type Machine = Record<OrderStatus, Partial<Record<OrderStatus, Transition>>>;

export const ORDER_STATUS_MACHINE: Machine = {
  [OrderStatus.PENDING]: {
    [OrderStatus.PAID]: { by: ['SYSTEM_PAYMENTS', 'ADMIN'] },
    [OrderStatus.PAYMENT_FAILED]: { by: ['SYSTEM_PAYMENTS', 'ADMIN'] },
    [OrderStatus.CANCELLED]: { by: ['CUSTOMER_OWNER', 'ADMIN'] },
  },
  [OrderStatus.PAYMENT_FAILED]: {
    [OrderStatus.PAID]: { by: ['SYSTEM_PAYMENTS', 'ADMIN'] },
    [OrderStatus.CANCELLED]: { by: ['CUSTOMER_OWNER', 'ADMIN'] },
  },
  [OrderStatus.PAID]: {
    [OrderStatus.SHIPPED]: { by: ['ADMIN'] },
    [OrderStatus.CANCELLED]: { by: ['ADMIN'] },
  },
  [OrderStatus.SHIPPED]: {
    [OrderStatus.DELIVERED]: { by: ['ADMIN'] },
  },
  [OrderStatus.DELIVERED]: {},
  [OrderStatus.CANCELLED]: {},
};

export function isFinal(status: OrderStatus): boolean {
  return Object.keys(ORDER_STATUS_MACHINE[status]).length === 0;
}

export const PAYMENTS_ACTOR = 'system:payments';

export function actorLabel(actor: Actor): string {
  return actor.kind === 'user' ? actor.userId : `system:${actor.name}`;
}

function actorKind(actor: Actor, ownerId: string): ActorKind | undefined {
  if (actor.kind === 'system') return actor.name === 'payments' ? 'SYSTEM_PAYMENTS' : undefined;
  if (actor.role === Role.ADMIN) return 'ADMIN';
  return actor.userId === ownerId ? 'CUSTOMER_OWNER' : undefined;
}

/**
 * Throws INVALID_STATUS_TRANSITION unless `actor` may move an order owned by
 * `ownerId` from `from` to `to`. Ownership itself (NOT_FOUND for a stranger's
 * order) is checked before this, where the order is loaded.
 */
export function assertTransition(from: OrderStatus, to: OrderStatus, actor: Actor, ownerId: string): void {
  const transition = ORDER_STATUS_MACHINE[from][to];
  if (!transition) throw new InvalidStatusTransitionError(from, to);
  const kind = actorKind(actor, ownerId);
  if (!kind || !transition.by.includes(kind)) {
    throw new InvalidStatusTransitionError(from, to, `You may not move an order from ${from} to ${to}`);
  }
}

export function canTransition(from: OrderStatus, to: OrderStatus, actor: Actor, ownerId: string): boolean {
  try {
    assertTransition(from, to, actor, ownerId);
    return true;
  } catch {
    return false;
  }
}

/** Boot-time check that the table is well formed: every state known, finals are DELIVERED and CANCELLED. */
export function validateMachine(machine: Machine = ORDER_STATUS_MACHINE): void {
  const states = new Set(Object.values(OrderStatus));
  for (const [from, moves] of Object.entries(machine)) {
    if (!states.has(from as OrderStatus)) throw new Error(`status machine: unknown state ${from}`);
    for (const to of Object.keys(moves)) {
      if (!states.has(to as OrderStatus)) throw new Error(`status machine: unknown target ${from} -> ${to}`);
      if (to === from) throw new Error(`status machine: self-loop on ${from}`);
    }
  }
  for (const state of states) {
    if (!(state in machine)) throw new Error(`status machine: state ${state} has no row`);
  }
}

validateMachine();
