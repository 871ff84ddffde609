import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { UserType } from '../auth/auth.types.js';
import { requireViewer, type GraphQLContext } from '../graphql/context.js';
import type { OrderStatusChangeEvent } from '../live/order-updates.js';
import type { Viewer } from '../auth/tokens.js';
import { NotFoundError } from '../errors.js';
import { parseUuid } from './order-input.js';
import { viewerMaySee, type OrderSnapshot } from './order-snapshot.js';
import { viewerActor } from './order.service.js';
import {
  CancelOrderInput,
  CreateOrderInput,
  OrderConnection,
  OrderFilter,
  OrderHistoryEntryType,
  OrderStatusChange,
  OrderType,
  UpdateOrderStatusInput,
} from './order.types.js';

/** Cache first; authorized on every read, cached or not. Someone else's order reads as missing. */
async function visibleOrder(ctx: GraphQLContext, viewer: Viewer, orderId: string): Promise<OrderSnapshot> {
  const order = await ctx.services.orderCache.get(orderId);
  if (!order || !viewerMaySee(viewer, order)) throw new NotFoundError('Order not found');
  return order;
}

/**
 * Every subscriber in this process receives the same event object: load the
 * order once per event and share it (each viewer is still checked on it),
 * instead of one cache lookup per subscriber.
 */
const orderOfEvent = new WeakMap<OrderStatusChangeEvent, Promise<OrderSnapshot | null>>();

async function visibleOrderOfEvent(ctx: GraphQLContext, viewer: Viewer, event: OrderStatusChangeEvent) {
  let loading = orderOfEvent.get(event);
  if (!loading) {
    loading = ctx.services.orderCache.get(event.orderId);
    orderOfEvent.set(event, loading);
    // A failed load is not kept: the next subscriber tries again.
    loading.catch(() => orderOfEvent.delete(event));
  }
  const order = await loading;
  if (!order || !viewerMaySee(viewer, order)) throw new NotFoundError('Order not found');
  return order;
}

function meta(ctx: GraphQLContext) {
  return { correlationId: ctx.requestId };
}

@Resolver(() => OrderType)
export class OrderResolver {
  @Query(() => OrderType, { nullable: true, description: 'NOT_FOUND for a missing order and for someone else’s.' })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<OrderType> {
    const viewer = requireViewer(ctx);
    return OrderType.fromSnapshot(await visibleOrder(ctx, viewer, parseUuid(id, 'id')));
  }

  @Query(() => OrderConnection, { description: 'Newest first. A customer sees only their own orders.' })
  async orders(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter?: OrderFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<OrderConnection> {
    const viewer = requireViewer(ctx);
    const page = await ctx.services.orders.listOrders(viewer, filter ?? {}, first, after);
    return {
      edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: OrderType.from(edge.node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @Mutation(() => OrderType, { description: 'Priced from the catalogue; stock is reserved at once.' })
  async createOrder(
    @Arg('input', () => CreateOrderInput) input: CreateOrderInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    const viewer = requireViewer(ctx);
    return OrderType.from(await ctx.services.orders.createOrder(viewer, input, meta(ctx)));
  }

  @Mutation(() => OrderType)
  async updateOrderStatus(
    @Arg('input', () => UpdateOrderStatusInput) input: UpdateOrderStatusInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    const viewer = requireViewer(ctx);
    return OrderType.from(await ctx.services.orders.updateStatus(viewerActor(viewer), input, meta(ctx)));
  }

  @Mutation(() => OrderType, { description: 'Stock is returned to the catalogue.' })
  async cancelOrder(
    @Arg('input', () => CancelOrderInput) input: CancelOrderInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    const viewer = requireViewer(ctx);
    return OrderType.from(await ctx.services.orders.cancelOrder(viewerActor(viewer), input, meta(ctx)));
  }

  @FieldResolver(() => UserType)
  async customer(@Root() order: OrderType, @Ctx() ctx: GraphQLContext): Promise<UserType> {
    return UserType.from(await ctx.loaders.userById.load(order.customerId));
  }

  @FieldResolver(() => [OrderHistoryEntryType], { description: 'Oldest first.' })
  async history(@Root() order: OrderType, @Ctx() ctx: GraphQLContext): Promise<OrderHistoryEntryType[]> {
    return (await ctx.loaders.historyByOrderId.load(order.id)).map((row) => OrderHistoryEntryType.from(row));
  }

  @Subscription(() => OrderStatusChange, {
    description: 'Changes of one order, or of every order the caller may see when no id is given.',
    subscribe: ({ args, context }) => {
      const ctx = context as GraphQLContext;
      const viewer = requireViewer(ctx);
      const orderId = typeof args.orderId === 'string' ? parseUuid(args.orderId, 'orderId') : undefined;
      return ctx.services.updates.subscribe(viewer, orderId);
    },
  })
  async orderStatusChanged(
    @Root() event: OrderStatusChangeEvent,
    @Ctx() ctx: GraphQLContext,
    @Arg('orderId', () => ID, { nullable: true }) _orderId?: string | null,
  ): Promise<OrderStatusChange> {
    const viewer = requireViewer(ctx);
    // The socket's context lives as long as the subscription: drop what its loaders remember of this order.
    ctx.loaders.historyByOrderId.clear(event.orderId);
    const order = await visibleOrderOfEvent(ctx, viewer, event);
    return Object.assign(new OrderStatusChange(), {
      order: OrderType.fromSnapshot(order),
      previousStatus: event.previousStatus,
      status: event.status,
      changedAt: new Date(event.changedAt),
      actor: event.actor,
    });
  }
}
