import { describe, expect, it } from 'vitest';
import { Role } from '../auth/role.js';
import { InvalidStatusTransitionError } from '../errors.js';
import {
  assertLineOperation,
  assertTransition,
  canTransition,
  isFinal,
  ORDER_STATUS_MACHINE,
  OrderStatus,
  validateMachine,
  type Actor,
  type LineOperation,
} from './status-machine.js';

const OWNER = 'owner-id';
const actors: Record<string, Actor> = {
  owner: { kind: 'user', userId: OWNER, role: Role.CUSTOMER },
  stranger: { kind: 'user', userId: 'someone-else', role: Role.CUSTOMER },
  admin: { kind: 'user', userId: 'admin-id', role: Role.ADMIN },
  payments: { kind: 'system', name: 'payments' },
  shipping: { kind: 'system', name: 'shipping' },
  expiry: { kind: 'system', name: 'expiry' },
  otherSystem: { kind: 'system', name: 'audit' },
};

// Written out from the SPEC, independently of the machine's table.
const ALLOWED = new Set([
  // Section 2: "PAID and PAYMENT_FAILED are set by the PaymentProcessed consumer (actor system:payments);
  // an ADMIN may also set them by hand."
  'PENDING->PAID:payments',
  'PENDING->PAID:admin',
  'PENDING->PAYMENT_FAILED:payments',
  'PENDING->PAYMENT_FAILED:admin',
  'PAYMENT_FAILED->PAID:payments',
  'PAYMENT_FAILED->PAID:admin',
  // Section 2: "A customer may cancel their own order while it is PENDING or PAYMENT_FAILED; an ADMIN may
  // cancel any order that is not final" (and the machine lets only these three states reach CANCELLED).
  'PENDING->CANCELLED:owner',
  'PENDING->CANCELLED:admin',
  'PAYMENT_FAILED->CANCELLED:owner',
  'PAYMENT_FAILED->CANCELLED:admin',
  'PAID->CANCELLED:admin',
  // Section 13: "PENDING or PAYMENT_FAILED orders older than ORDER_PAYMENT_TIMEOUT are cancelled by
  // system:expiry".
  'PENDING->CANCELLED:expiry',
  'PAYMENT_FAILED->CANCELLED:expiry',
  // Section 2: "SHIPPED and DELIVERED are set by an ADMIN"; section 10: shipments, recorded by staff or
  // reported by the shipping service, drive PAID -> PARTIALLY_SHIPPED | SHIPPED, PARTIALLY_SHIPPED -> SHIPPED
  // and SHIPPED -> DELIVERED ("every shipment delivered: DELIVERED").
  'PAID->PARTIALLY_SHIPPED:admin',
  'PAID->PARTIALLY_SHIPPED:shipping',
  'PAID->SHIPPED:admin',
  'PAID->SHIPPED:shipping',
  'PARTIALLY_SHIPPED->SHIPPED:admin',
  'PARTIALLY_SHIPPED->SHIPPED:shipping',
  'SHIPPED->DELIVERED:admin',
  'SHIPPED->DELIVERED:shipping',
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

  it('covers all 343 (from, to, actor) triples', () => {
    expect(table).toHaveLength(7 * 7 * 7);
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

  it('rejects at boot a line operation whose moves its actors may not make', () => {
    // The real machine, broken in one place: the shipping service could ship the last units but not finish.
    const broken = JSON.parse(JSON.stringify(ORDER_STATUS_MACHINE)) as typeof ORDER_STATUS_MACHINE;
    broken.PARTIALLY_SHIPPED.SHIPPED = { by: ['ADMIN'] };
    expect(() => validateMachine(broken)).toThrow(
      /ship in PARTIALLY_SHIPPED can move the order to SHIPPED, which SYSTEM_SHIPPING may not do/,
    );
  });
});

// Written out from SPEC section 10, independently of the machine's tables.
const LINE_RULES: Record<LineOperation, Set<string>> = {
  // "Only PAID or PARTIALLY_SHIPPED orders ship"; staff record shipments, the shipping service reports them.
  ship: new Set(['PAID:admin', 'PAID:shipping', 'PARTIALLY_SHIPPED:admin', 'PARTIALLY_SHIPPED:shipping']),
  // A shipment exists only from PARTIALLY_SHIPPED on; once DELIVERED, every shipment already is.
  deliver: new Set(['PARTIALLY_SHIPPED:admin', 'PARTIALLY_SHIPPED:shipping', 'SHIPPED:admin', 'SHIPPED:shipping']),
  // "cancelOrderLines: staff on PENDING, PAYMENT_FAILED, PAID or PARTIALLY_SHIPPED orders; the customer on
  // their own PENDING or PAYMENT_FAILED order."
  cancelLines: new Set([
    'PENDING:admin',
    'PAYMENT_FAILED:admin',
    'PAID:admin',
    'PARTIALLY_SHIPPED:admin',
    'PENDING:owner',
    'PAYMENT_FAILED:owner',
  ]),
};

const lineTable = (Object.keys(LINE_RULES) as LineOperation[]).flatMap((operation) =>
  statuses.flatMap((status) => Object.keys(actors).map((who) => ({ operation, status, who, key: `${status}:${who}` }))),
);

describe('line operations', () => {
  it.each(lineTable)('$operation on a $status order by $who', ({ operation, status, who, key }) => {
    const act = () => assertLineOperation(operation, status, actors[who]!, OWNER);
    if (LINE_RULES[operation].has(key)) expect(act).not.toThrow();
    else expect(act).toThrow(InvalidStatusTransitionError);
  });

  it('covers all 147 (operation, status, actor) triples', () => {
    expect(lineTable).toHaveLength(3 * 7 * 7);
  });

  it('says why an order may not ship', () => {
    expect(() => assertLineOperation('ship', OrderStatus.PENDING, actors.admin!, OWNER)).toThrow(
      'A PENDING order cannot ship',
    );
  });
});
