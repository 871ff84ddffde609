// Stock: taken when an order is placed and given back when units are
// cancelled, always inside the caller's transaction, so stock moves exactly
// when the order change commits. The one place that writes `products.stock`.
//
// Each call is one statement, whatever the number of lines: the rows are
// locked in sku order first (a single global order, so two orders sharing
// products can never deadlock), then changed together.
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadInputError, OutOfStockError } from '../errors.js';

export interface StockLine {
  sku: string;
  quantity: number;
}

/** A reserved line, priced from the catalogue as it was when the stock was taken. */
export interface ReservedLine extends StockLine {
  name: string;
  priceMinor: number;
  currency: string;
}

interface ReserveRow {
  sku: string;
  quantity: number;
  known: boolean;
  name: string | null;
  price_minor: number | null;
  currency: string | null;
}

export class InventoryService {
  /**
   * Takes `quantity` of each sku, or nothing at all: an unknown sku is
   * BAD_USER_INPUT and a short one OUT_OF_STOCK, and the caller's
   * transaction then rolls back whatever else it did.
   */
  async reserve(tx: EntityManager, lines: readonly StockLine[]): Promise<Map<string, ReservedLine>> {
    const rows = await tx.execute<ReserveRow[]>(
      `with wanted as (select * from jsonb_to_recordset(?::jsonb) as w(sku text, quantity int)),
       locked as (select p.sku from products p where p.sku in (select sku from wanted) order by p.sku for update),
       taken as (
         update products p set stock = p.stock - w.quantity
           from wanted w
          where p.sku = w.sku and p.sku in (select sku from locked) and p.stock >= w.quantity
          returning p.sku, p.name, p.price_minor, p.currency)
       select w.sku, w.quantity, (l.sku is not null) as known, t.name, t.price_minor, t.currency
         from wanted w left join locked l on l.sku = w.sku left join taken t on t.sku = w.sku`,
      [JSON.stringify(lines.map((l) => ({ sku: l.sku, quantity: l.quantity })))],
    );
    const reserved = new Map<string, ReservedLine>();
    for (const row of rows) {
      if (!row.known) throw new BadInputError(`Unknown sku ${row.sku}`, 'items');
      if (row.name === null || row.price_minor === null || row.currency === null) {
        throw new OutOfStockError(row.sku, row.quantity);
      }
      reserved.set(row.sku, {
        sku: row.sku,
        quantity: row.quantity,
        name: row.name,
        priceMinor: row.price_minor,
        currency: row.currency.trim(),
      });
    }
    return reserved;
  }

  /** Gives back units of an order's lines (cancelled units), in the caller's transaction. */
  async release(tx: EntityManager, lines: readonly StockLine[]): Promise<void> {
    const returned = lines.filter((l) => l.quantity > 0);
    if (returned.length === 0) return;
    await tx.execute(
      `with back as (select * from jsonb_to_recordset(?::jsonb) as b(sku text, quantity int)),
       locked as (select p.sku from products p where p.sku in (select sku from back) order by p.sku for update)
       update products p set stock = p.stock + b.quantity
         from back b
        where p.sku = b.sku and p.sku in (select sku from locked)`,
      [JSON.stringify(returned.map((l) => ({ sku: l.sku, quantity: l.quantity })))],
    );
  }
}
