import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { OrderSnapshot } from '../orders/order-snapshot.js';
import { InMemoryKeyValueStore, type KeyValueStore } from './key-value-store.js';
import { OrderCache, orderCacheKey } from './order-cache.js';

const logger = createLogger('silent');
const snapshot = (id: string, version = 1): OrderSnapshot => ({
  id,
  customerId: 'c-1',
  status: 'PENDING' as OrderSnapshot['status'],
  currency: 'EUR',
  totalMinor: 1000,
  refundDueMinor: 0,
  shippingAddress: 'x',
  version,
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  items: [],
  shipments: [],
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('OrderCache', () => {
  it('keys entries order:{id}', () => {
    expect(orderCacheKey('42')).toBe('order:42');
  });

  it('concurrent misses on one id load the database once', async () => {
    const gate = deferred<OrderSnapshot>();
    let loads = 0;
    const cache = new OrderCache(new InMemoryKeyValueStore(), () => (loads++, gate.promise), 60, logger);
    const reads = Array.from({ length: 20 }, () => cache.get('o-1'));
    gate.resolve(snapshot('o-1'));
    expect((await Promise.all(reads)).every((r) => r?.id === 'o-1')).toBe(true);
    expect(loads).toBe(1);
    await cache.get('o-1'); // now from the store
    expect(loads).toBe(1);
  });

  it('a miss after the load but before the cache is filled joins it instead of loading again', async () => {
    const filling = deferred<void>();
    const store = new InMemoryKeyValueStore();
    const slowStore: KeyValueStore = {
      get: (key) => store.get(key),
      set: async (key, value, ttl) => {
        await filling.promise;
        await store.set(key, value, ttl);
      },
      delete: (key) => store.delete(key),
    };
    let loads = 0;
    const cache = new OrderCache(slowStore, async () => (loads++, snapshot('o-1')), 60, logger);
    expect((await cache.get('o-1'))?.id).toBe('o-1');
    expect((await cache.get('o-1'))?.id).toBe('o-1'); // the fill is still on its way
    expect(loads).toBe(1);
    filling.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await store.get(orderCacheKey('o-1'))).not.toBeNull();
    await cache.invalidate('o-1');
    await cache.get('o-1');
    expect(loads).toBe(2);
  });

  it('does not cache a load that a change overtook', async () => {
    const gate = deferred<OrderSnapshot>();
    const store = new InMemoryKeyValueStore();
    const loading = deferred<void>();
    const cache = new OrderCache(store, () => (loading.resolve(), gate.promise), 60, logger);
    const read = cache.get('o-1');
    await loading.promise; // the database read is under way
    await cache.invalidate('o-1');
    gate.resolve(snapshot('o-1', 1));
    await read;
    expect(await store.get(orderCacheKey('o-1'))).toBeNull();
  });

  it('reads through to the database when the store fails, and retries failed invalidations', async () => {
    let up = false;
    const inner = new InMemoryKeyValueStore();
    const flaky: KeyValueStore = {
      get: (k) => (up ? inner.get(k) : Promise.reject(new Error('down'))),
      set: (k, v, ttl) => (up ? inner.set(k, v, ttl) : Promise.reject(new Error('down'))),
      delete: (k) => (up ? inner.delete(k) : Promise.reject(new Error('down'))),
    };
    await inner.set(orderCacheKey('o-1'), JSON.stringify(snapshot('o-1', 1)), 60);
    const cache = new OrderCache(flaky, async (id) => snapshot(id, 2), 60, logger);
    expect((await cache.get('o-1'))?.version).toBe(2);
    await cache.invalidate('o-1');
    expect(cache.pendingInvalidationCount).toBe(1);
    up = true;
    await cache.retryPendingInvalidations();
    expect(cache.pendingInvalidationCount).toBe(0);
    expect((await cache.get('o-1'))?.version).toBe(2);
  });
});
