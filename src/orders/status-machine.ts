// The order status machine as plain data (SPEC sections 2 and 10): which
// moves exist and who may make each one, and which line operations (shipping,
// delivering, cancelling lines) each status allows and to whom. Checked once
// at import by validateMachine().
import { Role } from '../auth/index.js';
import { InvalidStatusTransitionError } from '../errors.js';

export enum OrderStatus {
  PENDING = 'PENDING',
  PAID = 'PAID',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  PARTIALLY_SHIPPED = 'PARTIALLY_SHIPPED',
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

export type ActorKind = 'CUSTOMER_OWNER' | 'ADMIN' | 'SYSTEM_PAYMENTS' | 'SYSTEM_SHIPPING' | 'SYSTEM_EXPIRY';

/** The consumers that act for the system, by the name in `system:<name>`. */
const SYSTEM_ACTOR_KINDS: Record<string, ActorKind> = {
  payments: 'SYSTEM_PAYMENTS',
  shipping: 'SYSTEM_SHIPPING',
  expiry: 'SYSTEM_EXPIRY',
};

export const PAYMENTS: Actor = { kind: 'system', name: 'payments' };
export const SHIPPING: Actor = { kind: 'system', name: 'shipping' };
/** Cancels orders left unpaid past ORDER_PAYMENT_TIMEOUT (orders/order-expiry.ts). */
export const EXPIRY: Actor = { kind: 'system', name: 'expiry' };

interface Transition {
  /** Who may make this move. */
  by: readonly ActorKind[];
}

type Machine = Record<OrderStatus, Partial<Record<OrderStatus, Transition>>>;

export const ORDER_STATUS_MACHINE: Machine = {
  [OrderStatus.PENDING]: {
    [OrderStatus.PAID]: { by: ['SYSTEM_PAYMENTS', 'ADMIN'] },
    [OrderStatus.PAYMENT_FAILED]: { by: ['SYSTEM_PAYMENTS', 'ADMIN'] },
    // SYSTEM_EXPIRY: unpaid past ORDER_PAYMENT_TIMEOUT, so the stock goes back on sale.
    [OrderStatus.CANCELLED]: { by: ['CUSTOMER_OWNER', 'ADMIN', 'SYSTEM_EXPIRY'] },
  },
  [OrderStatus.PAYMENT_FAILED]: {
    [OrderStatus.PAID]: { by: ['SYSTEM_PAYMENTS', 'ADMIN'] },
    [OrderStatus.CANCELLED]: { by: ['CUSTOMER_OWNER', 'ADMIN', 'SYSTEM_EXPIRY'] },
  },
  // Shipments move a paid order on (section 10): recorded by staff or reported by the shipping service.
  [OrderStatus.PAID]: {
    [OrderStatus.PARTIALLY_SHIPPED]: { by: ['ADMIN', 'SYSTEM_SHIPPING'] },
    [OrderStatus.SHIPPED]: { by: ['ADMIN', 'SYSTEM_SHIPPING'] },
    [OrderStatus.CANCELLED]: { by: ['ADMIN'] },
  },
  [OrderStatus.PARTIALLY_SHIPPED]: {
    [OrderStatus.SHIPPED]: { by: ['ADMIN', 'SYSTEM_SHIPPING'] },
  },
  [OrderStatus.SHIPPED]: {
    [OrderStatus.DELIVERED]: { by: ['ADMIN', 'SYSTEM_SHIPPING'] },
  },
  [OrderStatus.DELIVERED]: {},
  [OrderStatus.CANCELLED]: {},
};

/** What can happen to an order's lines without naming a target status: the status follows from them. */
export type LineOperation = 'ship' | 'deliver' | 'cancelLines';

type LineOperations = Record<LineOperation, Partial<Record<OrderStatus, readonly ActorKind[]>>>;

export const LINE_OPERATIONS: LineOperations = {
  // Only PAID or PARTIALLY_SHIPPED orders ship.
  ship: {
    [OrderStatus.PAID]: ['ADMIN', 'SYSTEM_SHIPPING'],
    [OrderStatus.PARTIALLY_SHIPPED]: ['ADMIN', 'SYSTEM_SHIPPING'],
  },
  // A shipment is delivered while its order is still on its way.
  deliver: {
    [OrderStatus.PARTIALLY_SHIPPED]: ['ADMIN', 'SYSTEM_SHIPPING'],
    [OrderStatus.SHIPPED]: ['ADMIN', 'SYSTEM_SHIPPING'],
  },
  // Staff on PENDING, PAYMENT_FAILED, PAID or PARTIALLY_SHIPPED; the customer on their own unpaid order.
  cancelLines: {
    [OrderStatus.PENDING]: ['CUSTOMER_OWNER', 'ADMIN'],
    [OrderStatus.PAYMENT_FAILED]: ['CUSTOMER_OWNER', 'ADMIN'],
    [OrderStatus.PAID]: ['ADMIN'],
    [OrderStatus.PARTIALLY_SHIPPED]: ['ADMIN'],
  },
};

/** The moves each line operation may cause from a status (validateMachine checks the machine allows them). */
const MOVES_CAUSED_BY: Record<LineOperation, Partial<Record<OrderStatus, readonly OrderStatus[]>>> = {
  ship: {
    [OrderStatus.PAID]: [OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED],
    [OrderStatus.PARTIALLY_SHIPPED]: [OrderStatus.SHIPPED],
  },
  deliver: { [OrderStatus.SHIPPED]: [OrderStatus.DELIVERED] },
  cancelLines: {
    [OrderStatus.PENDING]: [OrderStatus.CANCELLED],
    [OrderStatus.PAYMENT_FAILED]: [OrderStatus.CANCELLED],
    [OrderStatus.PAID]: [OrderStatus.CANCELLED],
    [OrderStatus.PARTIALLY_SHIPPED]: [OrderStatus.SHIPPED],
  },
};

export function isFinal(status: OrderStatus): boolean {
  return Object.keys(ORDER_STATUS_MACHINE[status]).length === 0;
}

/** Whether the customer has been charged for the order: PAID and everything after it but CANCELLED. */
export function isPaid(status: OrderStatus): boolean {
  return (
    status === OrderStatus.PAID ||
    status === OrderStatus.PARTIALLY_SHIPPED ||
    status === OrderStatus.SHIPPED ||
    status === OrderStatus.DELIVERED
  );
}

export const PAYMENTS_ACTOR = 'system:payments';

export function actorLabel(actor: Actor): string {
  return actor.kind === 'user' ? actor.userId : `system:${actor.name}`;
}

function actorKind(actor: Actor, ownerId: string): ActorKind | undefined {
  if (actor.kind === 'system') return SYSTEM_ACTOR_KINDS[actor.name];
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

const OPERATION_WORDS: Record<LineOperation, string> = {
  ship: 'ship',
  deliver: 'have shipments delivered',
  cancelLines: 'have lines cancelled',
};

/** Throws INVALID_STATUS_TRANSITION unless `actor` may do `operation` on an order in `status`. */
export function assertLineOperation(
  operation: LineOperation,
  status: OrderStatus,
  actor: Actor,
  ownerId: string,
): void {
  const allowed = LINE_OPERATIONS[operation][status];
  const words = OPERATION_WORDS[operation];
  if (!allowed) throw new InvalidStatusTransitionError(status, status, `A ${status} order cannot ${words}`);
  const kind = actorKind(actor, ownerId);
  if (!kind || !allowed.includes(kind)) {
    throw new InvalidStatusTransitionError(status, status, `You may not make a ${status} order ${words}`);
  }
}

export function allowsLineOperation(
  operation: LineOperation,
  status: OrderStatus,
  actor: Actor,
  ownerId: string,
): boolean {
  const kind = actorKind(actor, ownerId);
  return kind !== undefined && (LINE_OPERATIONS[operation][status]?.includes(kind) ?? false);
}

/**
 * Boot-time check that the tables are well formed: every state known, no
 * self-loops, and every move a line operation can cause is a move of the
 * machine that the same actors may make.
 */
export function validateMachine(
  machine: Machine = ORDER_STATUS_MACHINE,
  operations: LineOperations = LINE_OPERATIONS,
): void {
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
  for (const [operation, byStatus] of Object.entries(operations) as [LineOperation, LineOperations[LineOperation]][]) {
    for (const [status, kinds] of Object.entries(byStatus) as [OrderStatus, readonly ActorKind[]][]) {
      if (!states.has(status)) throw new Error(`status machine: ${operation} in unknown state ${status}`);
      if (isFinal(status)) throw new Error(`status machine: ${operation} in final state ${status}`);
      for (const to of MOVES_CAUSED_BY[operation][status] ?? []) {
        const move = machine[status][to];
        const missing = kinds.filter((kind) => !move?.by.includes(kind));
        if (missing.length > 0) {
          throw new Error(
            `status machine: ${operation} in ${status} can move the order to ${to}, which ${missing.join(', ')} may not do`,
          );
        }
      }
    }
  }
}

validateMachine();
