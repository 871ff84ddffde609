// Input rules for orders, kept apart from the service so they are easy to test.
import { BadInputError } from '../errors.js';
import { isUuid } from '../ids.js';

export const MAX_ITEMS_PER_ORDER = 100;
export const MIN_QUANTITY = 1;
/** The database's own bound on a line (order_items' check); MAX_LINE_QUANTITY may set a lower one. */
export const MAX_QUANTITY = 1000;
export const MAX_SHIPPING_ADDRESS = 1000;
export const MAX_IDEMPOTENCY_KEY = 200;
export const MAX_REASON = 500;

export interface OrderItemRequest {
  sku: string;
  quantity: number;
}

export interface CreateOrderRequest {
  items: OrderItemRequest[];
  shippingAddress: string;
  idempotencyKey: string | null;
}

/** The same items (in any order of lines) and the same address: what a retry of one order sends. */
export function sameOrderRequest(
  a: Pick<CreateOrderRequest, 'items' | 'shippingAddress'>,
  b: Pick<CreateOrderRequest, 'items' | 'shippingAddress'>,
): boolean {
  if (a.shippingAddress !== b.shippingAddress || a.items.length !== b.items.length) return false;
  const quantities = new Map(a.items.map((item) => [item.sku, item.quantity]));
  return b.items.every((item) => quantities.get(item.sku) === item.quantity);
}

export function parseUuid(value: string, field: string): string {
  if (!isUuid(value)) throw new BadInputError(`${field} must be a UUID`, field);
  return value.toLowerCase();
}

export function parseCreateOrder(
  input: {
    items: { sku: string; quantity: number }[];
    shippingAddress: string;
    idempotencyKey?: string | null;
  },
  /** MAX_LINE_QUANTITY: one account must not reserve a product's whole stock in one line. */
  maxLineQuantity = MAX_QUANTITY,
): CreateOrderRequest {
  if (input.items.length === 0) throw new BadInputError('An order needs at least one item', 'items');
  if (input.items.length > MAX_ITEMS_PER_ORDER) {
    throw new BadInputError(`An order holds at most ${MAX_ITEMS_PER_ORDER} items`, 'items');
  }
  const seen = new Set<string>();
  const items = input.items.map((item, i) => {
    const sku = item.sku.trim();
    if (sku.length === 0 || sku.length > 64)
      throw new BadInputError('sku must be 1 to 64 characters', `items.${i}.sku`);
    // PostgreSQL refuses a NUL in text outright: caught here it is bad input, not a database error.
    if (/\p{Cc}/u.test(sku)) throw new BadInputError('sku must not contain control characters', `items.${i}.sku`);
    if (seen.has(sku))
      throw new BadInputError(`sku ${sku} is listed twice; use one line with the total quantity`, `items.${i}.sku`);
    seen.add(sku);
    const max = Math.min(maxLineQuantity, MAX_QUANTITY);
    if (!Number.isInteger(item.quantity) || item.quantity < MIN_QUANTITY || item.quantity > max) {
      throw new BadInputError(`quantity must be ${MIN_QUANTITY} to ${max}`, `items.${i}.quantity`);
    }
    return { sku, quantity: item.quantity };
  });
  const shippingAddress = input.shippingAddress.trim();
  if (shippingAddress.length === 0) throw new BadInputError('shippingAddress is required', 'shippingAddress');
  // Line breaks and tabs are fine in an address; other control characters (NUL above all) are not.
  if (/[^\P{Cc}\n\r\t]/u.test(shippingAddress)) {
    throw new BadInputError('shippingAddress must not contain control characters', 'shippingAddress');
  }
  if (shippingAddress.length > MAX_SHIPPING_ADDRESS) {
    throw new BadInputError(`shippingAddress must be at most ${MAX_SHIPPING_ADDRESS} characters`, 'shippingAddress');
  }
  const key = input.idempotencyKey ?? null;
  if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY || /\p{Cc}/u.test(key))) {
    throw new BadInputError(
      `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY} printable characters`,
      'idempotencyKey',
    );
  }
  return { items, shippingAddress, idempotencyKey: key };
}

export function parseReason(reason: string | null | undefined): string | null {
  if (reason === null || reason === undefined) return null;
  const trimmed = reason.trim();
  if (/[^\P{Cc}\n\r\t]/u.test(trimmed)) throw new BadInputError('reason must not contain control characters', 'reason');
  if (trimmed.length > MAX_REASON) throw new BadInputError(`reason must be at most ${MAX_REASON} characters`, 'reason');
  return trimmed.length === 0 ? null : trimmed;
}

export function parseExpectedVersion(value: number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw new BadInputError('expectedVersion must be a positive integer', 'expectedVersion');
  return value;
}

export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  const invalid = () => new BadInputError('after is not a cursor returned by this API', 'after');
  const decoded = Buffer.from(value, 'base64url').toString('utf8');
  const [iso, id, extra] = decoded.split('|');
  if (!iso || !id || extra !== undefined || !isUuid(id)) throw invalid();
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) throw invalid();
  return { createdAt, id };
}

/** Lines of a shipment or a cancellation: each sku once, 1..MAX_QUANTITY units. */
export function parseLines(lines: readonly { sku: string; quantity: number }[], field = 'lines'): OrderItemRequest[] {
  if (lines.length === 0) throw new BadInputError('Name at least one line', field);
  if (lines.length > MAX_ITEMS_PER_ORDER) {
    throw new BadInputError(`At most ${MAX_ITEMS_PER_ORDER} lines`, field);
  }
  const seen = new Set<string>();
  return lines.map((line, i) => {
    const sku = line.sku.trim();
    if (sku.length === 0 || sku.length > 64 || /\p{Cc}/u.test(sku)) {
      throw new BadInputError('sku must be 1 to 64 printable characters', `${field}.${i}.sku`);
    }
    if (seen.has(sku)) {
      throw new BadInputError(`sku ${sku} is listed twice; use one line with the total quantity`, `${field}.${i}.sku`);
    }
    seen.add(sku);
    if (!Number.isInteger(line.quantity) || line.quantity < MIN_QUANTITY || line.quantity > MAX_QUANTITY) {
      throw new BadInputError(`quantity must be ${MIN_QUANTITY} to ${MAX_QUANTITY}`, `${field}.${i}.quantity`);
    }
    return { sku, quantity: line.quantity };
  });
}

/** Optional short text (a carrier, a tracking number): trimmed, printable, null when empty. */
export function parseOptionalText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (/\p{Cc}/u.test(trimmed)) throw new BadInputError(`${field} must not contain control characters`, field);
  if (trimmed.length > max) throw new BadInputError(`${field} must be at most ${max} characters`, field);
  return trimmed.length === 0 ? null : trimmed;
}

/** A shipment's id: a UUID for those staff record, the shipping service's own for the rest. */
export function parseShipmentId(value: string, max: number): string {
  if (value.length === 0 || value.length > max || /\p{Cc}/u.test(value)) {
    throw new BadInputError(`shipmentId must be 1 to ${max} printable characters`, 'shipmentId');
  }
  return value;
}
