// Placing orders: priced from the catalogue, stock reserved, the order and
// its order.created event written in one transaction; a retry with the same
// idempotency key gets the first order back, even when both race.
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/index.js';
import type { InventoryService } from '../catalog/index.js';
import type { Orm } from '../db/orm.js';
import { BadInputError, IdempotencyKeyReusedError, UnauthenticatedError } from '../errors.js';
import { MAX_MINOR_UNITS } from '../money.js';
import type { CommittedEvents, RequestMeta } from './committed-events.js';
import { OrderCreated } from './order-events.js';
import { parseCreateOrder, sameOrderRequest, type CreateOrderRequest } from './order-input.js';
import { Order, OrderItem } from './order.entity.js';
import { persistEvents } from './persist-events.js';

export class OrderPlacement {
  constructor(
    private readonly orm: Orm,
    private readonly inventory: InventoryService,
    private readonly committed: CommittedEvents,
    private readonly maxLineQuantity: number,
  ) {}

  async placeOrder(viewer: Viewer, input: Parameters<typeof parseCreateOrder>[0], meta: RequestMeta): Promise<Order> {
    const request = parseCreateOrder(input, this.maxLineQuantity);
    const em = this.orm.em.fork();
    if (request.idempotencyKey !== null) {
      const existing = await this.findByIdempotencyKey(em, viewer.userId, request.idempotencyKey);
      if (existing) return answerForRetry(existing, request);
    }
    let created: { order: Order; event: OrderCreated };
    try {
      created = await em.transactional((tx) => this.writeOrder(tx, viewer, request, meta));
    } catch (error) {
      // A concurrent retry with the same key committed first: its order is the answer.
      if (error instanceof UniqueConstraintViolationException && request.idempotencyKey !== null) {
        const existing = await this.findByIdempotencyKey(this.orm.em.fork(), viewer.userId, request.idempotencyKey);
        if (existing) return answerForRetry(existing, request);
      }
      // The account went away after its token was checked.
      if (error instanceof ForeignKeyConstraintViolationException) throw new UnauthenticatedError('Account not found');
      throw error;
    }
    this.committed.committed(created.order, [created.event]);
    return created.order;
  }

  private async writeOrder(
    tx: EntityManager,
    viewer: Viewer,
    request: CreateOrderRequest,
    meta: RequestMeta,
  ): Promise<{ order: Order; event: OrderCreated }> {
    const reserved = await this.inventory.reserve(tx, request.items);
    const currencies = new Set([...reserved.values()].map((line) => line.currency));
    if (currencies.size > 1) throw new BadInputError('All items of an order must share one currency', 'items');
    const currency = [...currencies][0] as string;

    const order = tx.create(Order, {
      customer: viewer.userId,
      currency,
      totalMinor: 0,
      shippingAddress: request.shippingAddress,
      idempotencyKey: request.idempotencyKey,
    });
    let total = 0;
    request.items.forEach((line, position) => {
      const product = reserved.get(line.sku);
      if (!product) throw new Error(`unpriced line ${line.sku}`);
      const lineTotal = product.priceMinor * line.quantity;
      total += lineTotal;
      order.items.add(
        tx.create(OrderItem, {
          order,
          position,
          sku: line.sku,
          name: product.name,
          quantity: line.quantity,
          unitPriceMinor: product.priceMinor,
          lineTotalMinor: lineTotal,
        }),
      );
    });
    if (total > MAX_MINOR_UNITS) throw new BadInputError('The order total is too large', 'items');
    order.totalMinor = total;

    const event = new OrderCreated(
      {
        orderId: order.id,
        customerId: viewer.userId,
        status: order.status,
        version: order.version,
        total: { minorUnits: total, currencyCode: currency },
        items: order.items.getItems().map((i) => ({
          sku: i.sku,
          quantity: i.quantity,
          unitPrice: { minorUnits: i.unitPriceMinor, currencyCode: currency },
        })),
        actor: viewer.userId,
      },
      order.createdAt,
    );
    await persistEvents(tx, [event], meta);
    await tx.flush();
    return { order, event };
  }

  private async findByIdempotencyKey(em: EntityManager, customerId: string, key: string): Promise<Order | null> {
    return em.findOne(Order, { customer: customerId, idempotencyKey: key }, { populate: ['items'] });
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
