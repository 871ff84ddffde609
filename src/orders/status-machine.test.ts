import { describe, expect, it } from 'vitest';
import { Role } from '../auth/role.js';
import { InvalidStatusTransitionError } from '../errors.js';
import {
  assertTransition,
  canTransition,
  isFinal,
  OrderStatus,
  validateMachine,
  type Actor,
} from './status-machine.js';

const OWNER = 'owner-id';
const actors: Record<string, Actor> = {
  owner: { kind: 'user', userId: OWNER, role: Role.CUSTOMER },
  stranger: { kind: 'user', userId: 'someone-else', role: Role.CUSTOMER },
  admin: { kind: 'user', userId: 'admin-id', role: Role.ADMIN },
  payments: { kind: 'system', name: 'payments' },
  otherSystem: { kind: 'system', name: 'audit' },
};

// Written out from SPEC section 2, independently of the machine's table.
const ALLOWED = new Set([
  'PENDING->PAID:payments',
  'PENDING->PAID:admin',
  'PENDING->PAYMENT_FAILED:payments',
  'PENDING->PAYMENT_FAILED:admin',
  'PENDING->CANCELLED:owner',
  'PENDING->CANCELLED:admin',
  'PAYMENT_FAILED->PAID:payments',
  'PAYMENT_FAILED->PAID:admin',
  'PAYMENT_FAILED->CANCELLED:owner',
  'PAYMENT_FAILED->CANCELLED:admin',
  'PAID->SHIPPED:admin',
  'PAID->CANCELLED:admin',
  'SHIPPED->DELIVERED:admin',
]);

const statuses = Object.values(OrderStatus);
const table = statuses.flatMap((from) =>
  statuses.flatMap((to) => Object.keys(actors).map((who) => ({ from, to, who, key: `${from}->${to}:${who}` }))),
);

describe('order status machine', () => {
  it.each(table)('$from -> $to by $who', ({ from, to, who, key }) => {
    const actor = actors[who]!;
    if (ALLOWED.has(key)) {
      expect(() => assertTransition(from, to, actor, OWNER)).not.toThrow();
    } else {
      expect(() => assertTransition(from, to, actor, OWNER)).toThrow(InvalidStatusTransitionError);
    }
    expect(canTransition(from, to, actor, OWNER)).toBe(ALLOWED.has(key));
  });

  it('covers all 180 (from, to, actor) triples', () => {
    expect(table).toHaveLength(6 * 6 * 5);
  });

  it('refuses to ship an unpaid order', () => {
    expect(() => assertTransition(OrderStatus.PENDING, OrderStatus.SHIPPED, actors.admin!, OWNER)).toThrow(
      /cannot move from PENDING to SHIPPED/,
    );
  });

  it('treats DELIVERED and CANCELLED as final, and nothing else', () => {
    expect(statuses.filter(isFinal).sort()).toEqual([OrderStatus.CANCELLED, OrderStatus.DELIVERED]);
  });

  it('rejects a malformed machine at boot', () => {
    expect(() => validateMachine({} as never)).toThrow(/has no row/);
    const selfLoop = Object.fromEntries(statuses.map((s) => [s, {}]));
    (selfLoop as Record<string, object>).PENDING = { PENDING: { by: ['ADMIN'] } };
    expect(() => validateMachine(selfLoop as never)).toThrow(/self-loop/);
  });
});
