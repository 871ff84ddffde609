import { describe, expect, it } from 'vitest';
import { BadInputError } from '../errors.js';
import { decodeCursor, encodeCursor, parseCreateOrder, parseUuid, sameOrderRequest } from './order-input.js';
import { parsePageSize } from '../pagination.js';

const item = { sku: 'MUG-LOGO', quantity: 1 };

describe('createOrder input', () => {
  it('accepts a plain order', () => {
    expect(parseCreateOrder({ items: [item], shippingAddress: ' 1 Main St ' })).toEqual({
      items: [item],
      shippingAddress: '1 Main St',
      idempotencyKey: null,
    });
  });

  it.each([
    ['no items', { items: [], shippingAddress: 'x' }, 'items'],
    ['quantity 0', { items: [{ sku: 'A', quantity: 0 }], shippingAddress: 'x' }, 'items.0.quantity'],
    ['quantity 1001', { items: [{ sku: 'A', quantity: 1001 }], shippingAddress: 'x' }, 'items.0.quantity'],
    ['a blank sku', { items: [{ sku: '  ', quantity: 1 }], shippingAddress: 'x' }, 'items.0.sku'],
    ['a NUL byte in a sku', { items: [{ sku: 'MUG\u0000', quantity: 1 }], shippingAddress: 'x' }, 'items.0.sku'],
    ['a sku twice', { items: [item, item], shippingAddress: 'x' }, 'items.1.sku'],
    ['a blank address', { items: [item], shippingAddress: '   ' }, 'shippingAddress'],
    ['a huge address', { items: [item], shippingAddress: 'x'.repeat(1001) }, 'shippingAddress'],
    ['an empty idempotency key', { items: [item], shippingAddress: 'x', idempotencyKey: '' }, 'idempotencyKey'],
    [
      '101 items',
      { items: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })), shippingAddress: 'x' },
      'items',
    ],
  ])('refuses %s', (_name, input, field) => {
    try {
      parseCreateOrder(input);
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).details.field).toBe(field);
    }
  });
});

describe('MAX_LINE_QUANTITY', () => {
  it('refuses a line over the configured cap, and never over the database bound of 1000', () => {
    expect(parseCreateOrder({ items: [{ sku: 'A', quantity: 5 }], shippingAddress: 'x' }, 5).items).toEqual([
      { sku: 'A', quantity: 5 },
    ]);
    expect(() => parseCreateOrder({ items: [{ sku: 'A', quantity: 6 }], shippingAddress: 'x' }, 5)).toThrow(
      'quantity must be 1 to 5',
    );
    expect(() => parseCreateOrder({ items: [{ sku: 'A', quantity: 1001 }], shippingAddress: 'x' }, 5000)).toThrow(
      BadInputError,
    );
  });
});

describe('a retry of the same order', () => {
  const order = {
    items: [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 2 },
    ],
    shippingAddress: '1 Main St',
  };
  it('is the same items, in any order of lines, to the same address', () => {
    expect(sameOrderRequest(order, { ...order, items: [...order.items].reverse() })).toBe(true);
  });
  it.each([
    [
      'another quantity',
      {
        ...order,
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 3 },
        ],
      },
    ],
    [
      'another sku',
      {
        ...order,
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'C', quantity: 2 },
        ],
      },
    ],
    ['a line fewer', { ...order, items: [{ sku: 'A', quantity: 1 }] }],
    ['another address', { ...order, shippingAddress: '2 Main St' }],
  ])('is not %s', (_name, other) => {
    expect(sameOrderRequest(order, other)).toBe(false);
  });
});

describe('paging', () => {
  it('takes first from 1 to 100, 20 by default', () => {
    expect(parsePageSize(undefined)).toBe(20);
    expect(parsePageSize(1)).toBe(1);
    expect(parsePageSize(100)).toBe(100);
    expect(() => parsePageSize(0)).toThrow(BadInputError);
    expect(() => parsePageSize(101)).toThrow(BadInputError);
  });

  it('round-trips cursors and refuses forged ones', () => {
    const cursor = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '6f1c1f4e-8a2b-4c1d-9e8f-0a1b2c3d4e5f' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(() => decodeCursor('not-a-cursor')).toThrow(BadInputError);
    expect(() => decodeCursor(Buffer.from('yesterday|x').toString('base64url'))).toThrow(BadInputError);
  });

  it('requires UUIDs for ids', () => {
    expect(() => parseUuid("1' or '1'='1", 'id')).toThrow(BadInputError);
    expect(parseUuid('6F1C1F4E-8A2B-4C1D-9E8F-0A1B2C3D4E5F', 'id')).toBe('6f1c1f4e-8a2b-4c1d-9e8f-0a1b2c3d4e5f');
  });
});
