// Placing orders: priced from the catalogue, stock reserved, the order, its
// items and its order.created event written at once; a retry with the same
// idempotency key gets the first order back, even when both race.
//
// Two round trips: one statement quotes the lines (and finds an order already
// placed under the key), the second takes the stock and writes the order, its
// items and its outbox row, all or nothing, in one statement
// (`InventoryService.reserveWith`): atomic without a transaction around it,
// and the product rows stay locked only while it runs. The stock is taken
// only if the catalogue still says what was quoted; if a price moved in
// between, the order is quoted again.
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/index.js';
import type { InventoryService, QuotedLine } from '../catalog/index.js';
import type { Orm } from '../db/orm.js';
import type { Statements } from '../db/statements.js';
import {
  BadInputError,
  ConflictError,
  IdempotencyKeyReusedError,
  OutOfStockError,
  UnauthenticatedError,
} from '../errors.js';
import { MAX_MINOR_UNITS } from '../money.js';
import { outboxInsert } from '../outbox/outbox.js';
import type { CommittedEvents, RequestMeta } from './committed-events.js';
import { OrderCreated } from './order-events.js';
import { parseCreateOrder, sameOrderRequest, type CreateOrderRequest } from './order-input.js';
import { Order, OrderItem } from './order.entity.js';

/** Times an order is quoted again because a price changed under it, before giving up. */
const MAX_QUOTES = 3;

interface QuoteRow extends Record<string, unknown> {
  sku: string;
  name: string | null;
  price_minor: number | null;
  currency: string | null;
  existing: string | null;
}

type Quote = { existingOrderId: string } | { lines: QuotedLine[] };

export class OrderPlacement {
  constructor(
    private readonly orm: Orm,
    /** Both statements of a placement run bound, and prepared where they can be (db/statements.ts). */
    private readonly statements: Statements,
    private readonly inventory: InventoryService,
    private readonly committed: CommittedEvents,
    private readonly maxLineQuantity: number,
  ) {}

  async placeOrder(viewer: Viewer, input: Parameters<typeof parseCreateOrder>[0], meta: RequestMeta): Promise<Order> {
    const request = parseCreateOrder(input, this.maxLineQuantity);
    const em = this.orm.em.fork();
    for (let attempt = 1; ; attempt++) {
      const quote = await this.quote(viewer.userId, request);
      if ('existingOrderId' in quote) return answerForRetry(await this.placedBefore(quote.existingOrderId), request);
      let placed: { order: Order; event: OrderCreated } | null;
      try {
        placed = await this.write(em, viewer, request, quote.lines, meta);
      } catch (error) {
        // A concurrent retry with the same key committed first: its order is the answer.
        if (error instanceof UniqueConstraintViolationException && request.idempotencyKey !== null) {
          const existing = await this.findByIdempotencyKey(viewer.userId, request.idempotencyKey);
          if (existing) return answerForRetry(existing, request);
        }
        // The account went away after its token was checked.
        if (error instanceof ForeignKeyConstraintViolationException)
          throw new UnauthenticatedError('Account not found');
        throw error;
      }
      if (placed) {
        this.committed.committed(placed.order, [placed.event]);
        return placed.order;
      }
      if (attempt >= MAX_QUOTES)
        throw new ConflictError('The catalogue kept changing while the order was placed; retry');
    }
  }

  /** The catalogue's name, price and currency of each line, and the order already placed under the key, if any. */
  private async quote(customerId: string, request: CreateOrderRequest): Promise<Quote> {
    const rows = await this.statements.rows<QuoteRow>(
      `select w.sku, p.name, p.price_minor, trim(p.currency) as currency,
              (select o.id from orders o where o.customer_id = ? and o.idempotency_key = ?) as existing
         from jsonb_array_elements_text(?::jsonb) with ordinality as w(sku, n)
         left join products p on p.sku = w.sku
        order by w.n`,
      [customerId, request.idempotencyKey, JSON.stringify(request.items.map((line) => line.sku))],
    );
    const existing = rows[0]?.existing;
    if (existing) return { existingOrderId: existing };
    const lines = request.items.map((line, i): QuotedLine => {
      const row = rows[i];
      if (!row || row.name === null || row.price_minor === null || row.currency === null) {
        throw new BadInputError(`Unknown sku ${line.sku}`, 'items');
      }
      return { ...line, name: row.name, priceMinor: row.price_minor, currency: row.currency };
    });
    if (new Set(lines.map((line) => line.currency)).size > 1) {
      throw new BadInputError('All items of an order must share one currency', 'items');
    }
    return { lines };
  }

  /**
   * Takes the stock and writes the order, its items and its outbox row in one
   * statement. Null when a price moved since the quote (nothing was written).
   */
  private async write(
    em: EntityManager,
    viewer: Viewer,
    request: CreateOrderRequest,
    lines: readonly QuotedLine[],
    meta: RequestMeta,
  ): Promise<{ order: Order; event: OrderCreated } | null> {
    const currency = (lines[0] as QuotedLine).currency;
    const total = lines.reduce((sum, line) => sum + line.priceMinor * line.quantity, 0);
    if (total > MAX_MINOR_UNITS) throw new BadInputError('The order total is too large', 'items');
    // Built in memory only: the statement below writes them, the ORM never flushes them.
    const order = em.create(
      Order,
      {
        customer: viewer.userId,
        currency,
        totalMinor: total,
        shippingAddress: request.shippingAddress,
        idempotencyKey: request.idempotencyKey,
      },
      { persist: false },
    );
    lines.forEach((line, position) => {
      order.items.add(
        em.create(
          OrderItem,
          {
            order,
            position,
            sku: line.sku,
            name: line.name,
            quantity: line.quantity,
            unitPriceMinor: line.priceMinor,
            lineTotalMinor: line.priceMinor * line.quantity,
          },
          { persist: false },
        ),
      );
    });
    const event = new OrderCreated(
      {
        orderId: order.id,
        customerId: viewer.userId,
        status: order.status,
        version: order.version,
        total: { minorUnits: total, currencyCode: currency },
        items: lines.map((line) => ({
          sku: line.sku,
          quantity: line.quantity,
          unitPrice: { minorUnits: line.priceMinor, currencyCode: currency },
        })),
        actor: viewer.userId,
      },
      order.createdAt,
    );

    const taken = '(select ok from reservation)';
    const outbox = outboxInsert('new_event', [event], meta.correlationId, taken);
    const reservation = await this.inventory.reserveWith(this.statements, lines, {
      ctes: [
        `new_order as (
         insert into orders (id, customer_id, status, currency, total_minor, refund_due_minor, shipping_address,
                             idempotency_key, version, created_at, updated_at)
         select ?::uuid, ?::uuid, ?::order_status, ?, ?::int, ?::int, ?, ?, ?::int, ?::timestamptz, ?::timestamptz
          where ${taken})`,
        `new_items as (
         insert into order_items (id, order_id, position, sku, name, quantity, unit_price_minor, line_total_minor,
                                  quantity_shipped, quantity_delivered, quantity_cancelled)
         select id, ?::uuid, position, sku, name, quantity, unit_price_minor, line_total_minor, 0, 0, 0
           from jsonb_to_recordset(?::jsonb)
             as i(id uuid, position int, sku text, name text, quantity int, unit_price_minor int, line_total_minor int)
          where ${taken})`,
        outbox.cte,
      ],
      params: [
        order.id,
        viewer.userId,
        order.status,
        order.currency,
        order.totalMinor,
        order.refundDueMinor,
        order.shippingAddress,
        order.idempotencyKey,
        order.version,
        order.createdAt.toISOString(),
        order.updatedAt.toISOString(),
        order.id,
        JSON.stringify(
          order.items.getItems().map((item) => ({
            id: item.id,
            position: item.position,
            sku: item.sku,
            name: item.name,
            quantity: item.quantity,
            unit_price_minor: item.unitPriceMinor,
            line_total_minor: item.lineTotalMinor,
          })),
        ),
        ...outbox.params,
      ],
    });
    if (reservation.taken) return { order, event };
    const unknown = reservation.unknown[0];
    if (unknown !== undefined) throw new BadInputError(`Unknown sku ${unknown}`, 'items');
    const short = reservation.short[0];
    if (short) throw new OutOfStockError(short.sku, short.quantity);
    return null;
  }

  private async placedBefore(orderId: string): Promise<Order> {
    // Read where it was written: a replica may not have it yet.
    return this.orm.em.fork().findOneOrFail(Order, { id: orderId }, { populate: ['items'], connectionType: 'write' });
  }

  private async findByIdempotencyKey(customerId: string, key: string): Promise<Order | null> {
    return this.orm.em
      .fork()
      .findOne(Order, { customer: customerId, idempotencyKey: key }, { populate: ['items'], connectionType: 'write' });
  }
}

/** A retry gets the first order; the same key for another order is refused, never answered with the first. */
function answerForRetry(existing: Order, request: CreateOrderRequest): Order {
  const placed = {
    items: existing.items.getItems().map((item) => ({ sku: item.sku, quantity: item.quantity })),
    shippingAddress: existing.shippingAddress,
  };
  if (!sameOrderRequest(placed, request)) throw new IdempotencyKeyReusedError();
  return existing;
}
