// The fault suite's checker on fabricated histories: a clean one passes, and
// each kind of damage is reported under its own rule and counted in the table.
import { describe, expect, it } from 'vitest';
import { check, formatTable, type Rule, type ScenarioEvidence } from './checker.js';

const ALICE = 'customer-alice';
const BOB = 'customer-bob';

/** Two customers, three keys, every order paid once and seen once by each subscriber. */
function cleanHistory(): ScenarioEvidence {
  const orders = [
    { id: 'o1', customerId: ALICE, idempotencyKey: 'k1', status: 'PAID', version: 2 },
    { id: 'o2', customerId: ALICE, idempotencyKey: 'k2', status: 'PAID', version: 2 },
    { id: 'o3', customerId: BOB, idempotencyKey: 'k3', status: 'PAID', version: 2 },
  ];
  return {
    scenario: 'fabricated',
    keys: orders.map((o) => ({
      key: o.idempotencyKey,
      customerId: o.customerId,
      ackedOrderId: o.id,
      answeredIds: [o.id],
    })),
    orders,
    history: orders.flatMap((o) => [
      { orderId: o.id, type: 'order.created', fromStatus: null, toStatus: 'PENDING' },
      { orderId: o.id, type: 'order.status_changed', fromStatus: 'PENDING', toStatus: 'PAID' },
    ]),
    changes: orders.map((o) => ({ orderId: o.id, version: 2, fromStatus: 'PENDING', toStatus: 'PAID' })),
    stock: [{ sku: 'MUG', initial: 100, final: 97, ordered: 3 }],
    outboxUnsent: 0,
    deadLetters: { 'orders.payment-processed.dlq': 0, 'orders.audit.dlq': 0 },
    subscribers: [
      { name: 'admin', customerId: null, received: orders.map((o) => ({ orderId: o.id, version: 2, status: 'PAID' })) },
      {
        name: 'alice',
        customerId: ALICE,
        received: [
          { orderId: 'o1', version: 2, status: 'PAID' },
          { orderId: 'o2', version: 2, status: 'PAID' },
        ],
      },
    ],
    expectedStatus: 'PAID',
    expectedHistory: [
      { type: 'order.created', fromStatus: null, toStatus: 'PENDING' },
      { type: 'order.status_changed', fromStatus: 'PENDING', toStatus: 'PAID' },
    ],
    recoverySeconds: 1.5,
  };
}

function rules(evidence: ScenarioEvidence): Rule[] {
  return [...new Set(check(evidence).violations.map((v) => v.rule))].sort();
}

describe('the fault checker', () => {
  it('passes a clean history, with zeros in every column but acked', () => {
    const verdict = check(cleanHistory());
    expect(verdict.violations).toEqual([]);
    expect(verdict.row).toEqual({
      scenario: 'fabricated',
      acked: 3,
      lost: 0,
      unacked: 0,
      duplicateOrders: 0,
      duplicateEffects: 0,
      stuck: 0,
      unsent: 0,
      dlq: 0,
      missed: 0,
      liveDuplicated: 0,
      recoverySeconds: 1.5,
    });
  });

  it('reports an acknowledged order the database does not have as lost', () => {
    const h = cleanHistory();
    h.orders = h.orders.filter((o) => o.id !== 'o2');
    h.history = h.history.filter((r) => r.orderId !== 'o2');
    h.changes = h.changes.filter((c) => c.orderId !== 'o2');
    h.stock = [{ sku: 'MUG', initial: 100, final: 98, ordered: 2 }];
    const verdict = check(h);
    expect(rules(h)).toEqual(['lost']);
    expect(verdict.row.lost).toBe(1);
  });

  it('reports an acknowledgment naming another order than the one stored for its key as lost', () => {
    const h = cleanHistory();
    h.keys = h.keys.map((k) => (k.key === 'k1' ? { ...k, ackedOrderId: 'o-other', answeredIds: ['o-other'] } : k));
    // o1 then was never acknowledged either.
    expect(rules(h)).toEqual(['lost', 'unacknowledged']);
  });

  it('reports an order whose client was never told', () => {
    const h = cleanHistory();
    h.keys = h.keys.map((k) => (k.key === 'k3' ? { ...k, ackedOrderId: null, answeredIds: [] } : k));
    const verdict = check(h);
    expect(rules(h)).toEqual(['unacknowledged']);
    expect(verdict.row).toMatchObject({ acked: 2, unacked: 1 });
  });

  it('reports two orders for one key, and one key answered with two ids', () => {
    const h = cleanHistory();
    h.orders = [...h.orders, { id: 'o1b', customerId: ALICE, idempotencyKey: 'k1', status: 'PAID', version: 2 }];
    h.history = [
      ...h.history,
      { orderId: 'o1b', type: 'order.created', fromStatus: null, toStatus: 'PENDING' },
      { orderId: 'o1b', type: 'order.status_changed', fromStatus: 'PENDING', toStatus: 'PAID' },
    ];
    h.changes = [...h.changes, { orderId: 'o1b', version: 2, fromStatus: 'PENDING', toStatus: 'PAID' }];
    h.subscribers = h.subscribers.map((s) => ({
      ...s,
      received: [...s.received, { orderId: 'o1b', version: 2, status: 'PAID' }],
    }));
    h.keys = h.keys.map((k) => (k.key === 'k1' ? { ...k, answeredIds: ['o1', 'o1b'] } : k));
    h.stock = [{ sku: 'MUG', initial: 100, final: 96, ordered: 4 }];
    const verdict = check(h);
    // o1b was also never acknowledged (the key's ack names o1).
    expect(rules(h)).toEqual(['answered-two-ids', 'two-orders-one-key', 'unacknowledged']);
    expect(verdict.row.duplicateOrders).toBe(2);
  });

  it('reports an order paid twice and a repeated history row', () => {
    const h = cleanHistory();
    h.history = [
      ...h.history,
      { orderId: 'o2', type: 'order.status_changed', fromStatus: 'PENDING', toStatus: 'PAID' },
    ];
    const verdict = check(h);
    expect(rules(h)).toEqual(['history-repeated', 'paid-twice']);
    expect(verdict.row.duplicateEffects).toBe(2);
  });

  it('reports a move to PAID written twice in the change feed', () => {
    const h = cleanHistory();
    h.changes = [...h.changes, { orderId: 'o3', version: 3, fromStatus: 'PAYMENT_FAILED', toStatus: 'PAID' }];
    h.subscribers = h.subscribers.map((s) =>
      s.customerId === null ? { ...s, received: [...s.received, { orderId: 'o3', version: 3, status: 'PAID' }] } : s,
    );
    expect(rules(h)).toEqual(['paid-twice']);
  });

  it('reports a missing audit row', () => {
    const h = cleanHistory();
    h.history = h.history.filter((r) => !(r.orderId === 'o3' && r.toStatus === 'PAID'));
    expect(rules(h)).toEqual(['history-missing']);
  });

  it('reports stock moved by other than the ordered quantities, either way', () => {
    const h = cleanHistory();
    h.stock = [
      { sku: 'MUG', initial: 100, final: 96, ordered: 3 },
      { sku: 'CAP', initial: 50, final: 50, ordered: 2 },
    ];
    const verdict = check(h);
    expect(check(h).violations.map((v) => v.detail)).toEqual([
      'MUG: stock went 100 -> 96 (moved 4) for 3 units ordered',
      'CAP: stock went 50 -> 50 (moved 0) for 2 units ordered',
    ]);
    expect(verdict.row.duplicateEffects).toBe(2);
  });

  it('reports orders not in the expected status once quiet as stuck', () => {
    const h = cleanHistory();
    h.orders = h.orders.map((o) => (o.id === 'o2' ? { ...o, status: 'PENDING', version: 1 } : o));
    h.history = h.history.filter((r) => !(r.orderId === 'o2' && r.toStatus === 'PAID'));
    h.changes = h.changes.filter((c) => c.orderId !== 'o2');
    h.subscribers = h.subscribers.map((s) => ({ ...s, received: s.received.filter((c) => c.orderId !== 'o2') }));
    const verdict = check(h);
    expect(rules(h)).toEqual(['history-missing', 'stuck']);
    expect(verdict.row.stuck).toBe(1);
  });

  it('reports unsent outbox rows and dead letters', () => {
    const h = cleanHistory();
    h.outboxUnsent = 4;
    h.deadLetters = { 'orders.payment-processed.dlq': 6, 'orders.audit.dlq': 1 };
    const verdict = check(h);
    expect(rules(h)).toEqual(['dead-letters', 'outbox-unsent']);
    expect(verdict.row).toMatchObject({ unsent: 4, dlq: 7 });
  });

  it('reports a change a subscriber missed, and only to the subscribers that may see it', () => {
    const h = cleanHistory();
    h.subscribers = h.subscribers.map((s) => ({ ...s, received: s.received.filter((c) => c.orderId !== 'o3') }));
    const verdict = check(h);
    // Only the admin may see Bob's o3; Alice's subscriber is not owed it.
    expect(verdict.violations).toEqual([{ rule: 'live-missed', detail: 'admin: order o3 v2 (PAID)' }]);
    expect(verdict.row.missed).toBe(1);
  });

  it('reports a change delivered twice, one out of order, one that never happened and one of another customer', () => {
    const h = cleanHistory();
    h.changes = [...h.changes, { orderId: 'o1', version: 3, fromStatus: 'PAID', toStatus: 'SHIPPED' }];
    h.subscribers = [
      {
        name: 'admin',
        customerId: null,
        received: [
          { orderId: 'o1', version: 3, status: 'SHIPPED' },
          { orderId: 'o1', version: 2, status: 'PAID' },
          { orderId: 'o2', version: 2, status: 'PAID' },
          { orderId: 'o2', version: 2, status: 'PAID' },
          { orderId: 'o3', version: 2, status: 'PAID' },
          { orderId: 'o3', version: 7, status: 'DELIVERED' },
        ],
      },
      {
        name: 'alice',
        customerId: ALICE,
        received: [
          { orderId: 'o1', version: 2, status: 'PAID' },
          { orderId: 'o1', version: 3, status: 'SHIPPED' },
          { orderId: 'o2', version: 2, status: 'PAID' },
          { orderId: 'o3', version: 2, status: 'PAID' },
        ],
      },
    ];
    const verdict = check(h);
    expect(verdict.violations.filter((v) => v.rule.startsWith('live-'))).toEqual([
      { rule: 'live-duplicated', detail: 'admin: o2 v2 arrived 2 times' },
      { rule: 'live-unknown', detail: 'admin: o3 v7 is no change in the feed' },
      { rule: 'live-out-of-order', detail: 'admin: order o1 v2 after v3' },
      { rule: 'live-unknown', detail: 'alice: saw order o3 of another customer' },
    ]);
    expect(verdict.row.liveDuplicated).toBe(1);
  });

  it('prints the table with a row per scenario and "never" for a recovery that did not come', () => {
    const h = cleanHistory();
    const table = formatTable([check(h).row, { ...check(h).row, scenario: 'stalled', recoverySeconds: null }]);
    expect(table.split('\n')).toEqual([
      '| scenario | acked | lost | unacked | dup orders | dup effects | stuck | unsent | dlq | live missed | live dup | recovery s |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| fabricated | 3 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1.5 |',
      '| stalled | 3 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | never |',
    ]);
  });
});
