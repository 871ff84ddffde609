// Stock: taken when an order is placed and given back when units are
// cancelled, always inside the caller's transaction, so stock moves exactly
// when the order change commits. The one place that writes `products.stock`.
//
// Each call is one statement, whatever the number of lines: the rows are
// locked in sku order first (a single global order, so two orders sharing
// products can never deadlock), then changed together. `reserveWith` takes the
// stock and runs the caller's inserts in that same statement, which needs no
// transaction around it: a statement is atomic on its own.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Statements } from '../db/statements.js';

export interface StockLine {
  sku: string;
  quantity: number;
}

/** A line as the caller priced it: the stock is taken only if the catalogue still says so. */
export interface QuotedLine extends StockLine {
  name: string;
  priceMinor: number;
  currency: string;
}

/** How each line fared in `reserveWith`; the caller's writes ran only when every line was taken. */
export interface GuardedReservation {
  /** Every line known, in stock and priced as quoted: the stock was taken and the writes ran. */
  taken: boolean;
  unknown: string[];
  short: StockLine[];
  /** Lines whose name, price or currency changed since they were quoted. */
  repriced: string[];
}

/** Writes that run in the reserving statement, only when every line was taken. */
export interface GuardedWrites {
  /**
   * Data-modifying CTEs (`name as (insert ... select ... where (select ok from reservation))`),
   * each guarded on the `reservation` CTE's `ok`; `?` placeholders take `params` in order.
   */
  ctes: string[];
  params: unknown[];
}

interface GuardedRow extends Record<string, unknown> {
  sku: string;
  quantity: number;
  known: boolean;
  available: boolean;
  priced: boolean;
  ok: boolean;
}

export class InventoryService {
  /**
   * Takes `quantity` of each quoted line and, in the same statement, runs
   * `writes`, or does neither: nothing is taken or written unless every sku
   * is known, has the stock and still has the quoted name, price and
   * currency. The rows are locked in sku order before any is changed. Run
   * outside a transaction, the statement is the whole unit of work: one round
   * trip, and no lock held while the application thinks.
   */
  async reserveWith(
    statements: Statements,
    lines: readonly QuotedLine[],
    writes: GuardedWrites,
  ): Promise<GuardedReservation> {
    const rows = await statements.rows<GuardedRow>(
      `with wanted as (
         select * from jsonb_to_recordset(?::jsonb)
           as w(sku text, quantity int, name text, price_minor int, currency text)),
       locked as (
         select p.sku, p.stock, p.name, p.price_minor, p.currency from products p
          where p.sku in (select sku from wanted) order by p.sku for update),
       checked as (
         select w.sku, w.quantity, (l.sku is not null) as known,
                coalesce(l.stock >= w.quantity, false) as available,
                coalesce(l.name = w.name and l.price_minor = w.price_minor and trim(l.currency) = w.currency, false) as priced
           from wanted w left join locked l on l.sku = w.sku),
       reservation as (select coalesce(bool_and(known and available and priced), false) as ok from checked),
       taken as (
         update products p set stock = p.stock - w.quantity
           from wanted w
          where p.sku = w.sku and (select ok from reservation)
          returning p.sku)${writes.ctes.map((cte) => `,\n       ${cte}`).join('')}
       select c.sku, c.quantity, c.known, c.available, c.priced, (select ok from reservation) as ok
         from checked c`,
      [
        JSON.stringify(
          lines.map((l) => ({
            sku: l.sku,
            quantity: l.quantity,
            name: l.name,
            price_minor: l.priceMinor,
            currency: l.currency,
          })),
        ),
        ...writes.params,
      ],
    );
    return {
      taken: rows.length > 0 && rows.every((r) => r.ok),
      unknown: rows.filter((r) => !r.known).map((r) => r.sku),
      short: rows.filter((r) => r.known && !r.available).map((r) => ({ sku: r.sku, quantity: r.quantity })),
      repriced: rows.filter((r) => r.known && r.available && !r.priced).map((r) => r.sku),
    };
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
