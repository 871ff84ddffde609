// The cart, kept in localStorage so it survives a reload, with the
// idempotency key of the current checkout attempt. The key is made when the
// shopper first presses "Place order" and kept until the order is placed or
// the cart changes: a double click, a retry after a dropped response, or a
// reload mid-checkout sends the same key, and the API returns the one order.
import { useSyncExternalStore } from 'react';

export interface CartState {
  /** Quantity by sku, in the order added. */
  lines: { sku: string; quantity: number }[];
  /** The idempotency key of the checkout attempt under way, if any. */
  checkoutKey: string | null;
}

const STORAGE_KEY = 'order-service.cart';
export const MAX_QUANTITY = 1000;
const EMPTY: CartState = { lines: [], checkoutKey: null };

class CartStore {
  private readonly listeners = new Set<() => void>();
  private raw: string | null = null;
  private state: CartState = EMPTY;

  constructor(private readonly storage: Storage = window.localStorage) {
    window.addEventListener('storage', (event) => {
      if (event.key === STORAGE_KEY || event.key === null) this.emit();
    });
  }

  getSnapshot = (): CartState => {
    const raw = this.storage.getItem(STORAGE_KEY);
    if (raw !== this.raw) {
      this.raw = raw;
      this.state = raw ? parseCart(raw) : EMPTY;
    }
    return this.state;
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  add(sku: string, quantity = 1): void {
    const { lines } = this.getSnapshot();
    const existing = lines.find((line) => line.sku === sku);
    const next = existing
      ? lines.map((line) => (line.sku === sku ? { sku, quantity: clamp(line.quantity + quantity) } : line))
      : [...lines, { sku, quantity: clamp(quantity) }];
    this.save({ lines: next, checkoutKey: null });
  }

  setQuantity(sku: string, quantity: number): void {
    const { lines } = this.getSnapshot();
    this.save({
      lines: lines.map((line) => (line.sku === sku ? { sku, quantity: clamp(quantity) } : line)),
      checkoutKey: null,
    });
  }

  remove(sku: string): void {
    this.save({ lines: this.getSnapshot().lines.filter((line) => line.sku !== sku), checkoutKey: null });
  }

  clear(): void {
    this.save(EMPTY);
  }

  /** The key for this checkout attempt: made once, then the same until the cart changes or the order is placed. */
  checkoutKey(): string {
    const state = this.getSnapshot();
    if (state.checkoutKey) return state.checkoutKey;
    const key = newKey();
    this.save({ ...state, checkoutKey: key });
    return key;
  }

  private save(state: CartState): void {
    if (state.lines.length === 0 && !state.checkoutKey) this.storage.removeItem(STORAGE_KEY);
    else this.storage.setItem(STORAGE_KEY, JSON.stringify(state));
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const cart = new CartStore();

export function useCart(): CartState {
  return useSyncExternalStore(cart.subscribe, cart.getSnapshot);
}

function clamp(quantity: number): number {
  return Math.min(MAX_QUANTITY, Math.max(1, Math.floor(quantity) || 1));
}

function parseCart(raw: string): CartState {
  try {
    const value = JSON.parse(raw) as Partial<CartState>;
    const lines = Array.isArray(value.lines)
      ? value.lines.filter(
          (line): line is CartState['lines'][number] =>
            typeof line?.sku === 'string' && typeof line.quantity === 'number',
        )
      : [];
    return { lines, checkoutKey: typeof value.checkoutKey === 'string' ? value.checkoutKey : null };
  } catch {
    return EMPTY;
  }
}

/** A random UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
