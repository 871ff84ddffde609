// Fulfilment over GraphQL (SPEC section 10): parse, authorize, call the
// service, map the result. Shipments are staff work: a customer gets NOT_FOUND
// for an order they may not see (as everywhere) and FORBIDDEN for their own.
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { CreateShipmentInput } from '../fulfilment/index.js';
import { requireViewer, type GraphQLContext } from '../graphql/context.js';
import { CancelOrderLinesInput, OrderType } from './order.types.js';
import { userActor } from './status-machine.js';

function meta(ctx: GraphQLContext) {
  return { correlationId: ctx.requestId };
}

@Resolver(() => OrderType)
export class OrderFulfilmentResolver {
  @Mutation(() => OrderType, {
    description:
      'ADMIN. Records units sent together (a new UUID is the shipment id). Only PAID or PARTIALLY_SHIPPED orders ' +
      'ship, and never more than is left of a line. The order becomes PARTIALLY_SHIPPED or SHIPPED.',
  })
  async createShipment(
    @Arg('input', () => CreateShipmentInput) input: CreateShipmentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    const actor = userActor(requireViewer(ctx));
    return OrderType.fromSnapshot(await ctx.services.fulfilment.createShipment(actor, input, meta(ctx)));
  }

  @Mutation(() => OrderType, {
    description:
      'ADMIN. Once every shipment is delivered and nothing is left to ship, the order is DELIVERED. Delivering a ' +
      'delivered shipment again changes nothing and returns the order.',
  })
  async markShipmentDelivered(
    @Arg('shipmentId', () => ID) shipmentId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    const actor = userActor(requireViewer(ctx));
    return OrderType.fromSnapshot(await ctx.services.fulfilment.markShipmentDelivered(actor, shipmentId, meta(ctx)));
  }

  @Mutation(() => OrderType, {
    description:
      'Cancels units not shipped and returns their stock. Staff on PENDING, PAYMENT_FAILED, PAID or ' +
      'PARTIALLY_SHIPPED orders; the customer on their own PENDING or PAYMENT_FAILED order. Unpaid, the total ' +
      'drops by their price; paid, refundDue grows by it. Every unit cancelled cancels the order; all that is ' +
      'left of a PARTIALLY_SHIPPED order cancelled makes it SHIPPED.',
  })
  async cancelOrderLines(
    @Arg('input', () => CancelOrderLinesInput) input: CancelOrderLinesInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderType> {
    const actor = userActor(requireViewer(ctx));
    return OrderType.fromSnapshot(await ctx.services.fulfilment.cancelOrderLines(actor, input, meta(ctx)));
  }
}
