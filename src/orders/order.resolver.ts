// Orders over GraphQL: parse, authorize, call a service, map the result.
// Who may see which order is the services' business (order-access.ts).
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { UserType } from '../auth/index.js';
import { BadInputError, DomainError } from '../errors.js';
import { requireViewer, type GraphQLContext } from '../graphql/context.js';
import { SocketCloseCode } from '../live/close-codes.js';
import { decodeFeedCursor, type FeedKey, type OrderChange } from './change-feed.js';
import { snapshotOf } from './order-snapshot.js';
import { userActor } from './status-machine.js';
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

function meta(ctx: GraphQLContext) {
  return { correlationId: ctx.requestId };
}

@Resolver(() => OrderType)
export class OrderResolver {
  @Query(() => OrderType, { nullable: true, description: 'NOT_FOUND for a missing order and for someone else’s.' })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<OrderType> {
    return OrderType.fromSnapshot(await ctx.services.reads.order(requireViewer(ctx), id));
  }

  @Query(() => OrderConnection, { description: 'Newest first. A customer sees only their own orders.' })
  async orders(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter?: OrderFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<OrderConnection> {
    const page = await ctx.services.reads.listOrders(requireViewer(ctx), filter ?? {}, first, after);
    return {
      edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: OrderType.fromSnapshot(edge.node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @Mutation(() => OrderType, { description: 'Priced from the catalogue; stock is reserved at once.' })
  async createOrder(
    @Arg('input', () => CreateOrderInput) input: CreateOrderInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    // A new order has no shipments yet.
    return OrderType.fromSnapshot(
      snapshotOf(await ctx.services.placement.placeOrder(requireViewer(ctx), input, meta(ctx)), []),
    );
  }

  @Mutation(() => OrderType, {
    description:
      'Admins move orders; the owner may cancel while PENDING or PAYMENT_FAILED. SHIPPED ships all that remains in ' +
      'one shipment, DELIVERED delivers every shipment; PARTIALLY_SHIPPED comes from createShipment only.',
  })
  async updateOrderStatus(
    @Arg('input', () => UpdateOrderStatusInput) input: UpdateOrderStatusInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    return OrderType.fromSnapshot(
      await ctx.services.moves.updateStatus(userActor(requireViewer(ctx)), input, meta(ctx)),
    );
  }

  @Mutation(() => OrderType, {
    description:
      'Every unit not shipped is cancelled and its stock returned; a paid order is owed back what was charged.',
  })
  async cancelOrder(
    @Arg('input', () => CancelOrderInput) input: CancelOrderInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    return OrderType.fromSnapshot(
      await ctx.services.moves.cancelOrder(userActor(requireViewer(ctx)), input, meta(ctx)),
    );
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
    description:
      'Changes of one order, or of every order the caller may see when no id is given. With `after` (a cursor of ' +
      'an earlier change), first every change since then, then live. An order the caller may not see is NOT_FOUND.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      const viewer = requireViewer(ctx);
      const connection = ctx.connection;
      if (!connection) throw new BadInputError('Subscriptions run over the websocket (graphql-ws) only');
      let orderId: string | undefined;
      let after: FeedKey | undefined;
      try {
        if (typeof args.orderId === 'string') {
          // As order(id) answers: NOT_FOUND for a missing order and for someone else's.
          orderId = (await ctx.services.reads.order(viewer, args.orderId)).id;
        }
        if (typeof args.after === 'string') {
          after = decodeFeedCursor(args.after);
          await ctx.services.feed.assertResumable(after);
        }
      } catch (error) {
        // An error ends a stock client's subscription for good: only the subscriber's own mistakes
        // (NOT_FOUND, a bad cursor) may. The database away for a moment is not one: it resumes later.
        if (!(error instanceof DomainError)) {
          connection.close(SocketCloseCode.TryAgainLater, 'Could not start the subscription: resume later');
        }
        throw error;
      }
      return ctx.services.live.subscribe(viewer, { orderId, after, connection });
    },
  })
  async orderStatusChanged(
    @Root() change: OrderChange,
    @Ctx() ctx: GraphQLContext,
    @Arg('orderId', () => ID, { nullable: true }) _orderId?: string | null,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this cursor.' }) _after?: string | null,
  ): Promise<OrderStatusChange> {
    const viewer = requireViewer(ctx);
    // The socket's context lives as long as the subscription: drop what its loaders remember of this order.
    ctx.loaders.historyByOrderId.clear(change.orderId);
    // A failure here is never sent in place of the change: the socket closes and the subscriber resumes from
    // its last cursor (websocket.ts). The result is shared by every subscriber asking the same (shared-results.ts).
    const order = await ctx.services.reads.orderOfChange(viewer, change);
    return Object.assign(new OrderStatusChange(), {
      order: OrderType.fromSnapshot(order),
      previousStatus: change.previousStatus,
      status: change.status,
      changedAt: change.changedAt,
      actor: change.actor,
      version: change.version,
      cursor: change.cursor,
    });
  }
}
