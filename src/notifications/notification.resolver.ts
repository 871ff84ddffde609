import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer, type GraphQLContext } from '../graphql/context.js';
import {
  NotificationConnection,
  NotificationPreferences,
  NotificationType,
  WebhookDeliveryType,
  WebhookEndpointCreated,
  WebhookEndpointInput,
  WebhookEndpointType,
} from './notification.types.js';

@Resolver()
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: 'The caller’s own notifications, newest first.' })
  async notifications(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<NotificationConnection> {
    const viewer = requireViewer(ctx);
    const page = await ctx.services.notifications.list(viewer, first, after);
    return {
      edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: NotificationType.from(edge.node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @Query(() => Int)
  async unreadNotificationCount(@Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.notifications.unreadCount(requireViewer(ctx));
  }

  @Query(() => NotificationPreferences)
  async notificationPreferences(@Ctx() ctx: GraphQLContext): Promise<NotificationPreferences> {
    return NotificationPreferences.from(await ctx.services.notifications.preferences(requireViewer(ctx)));
  }

  @Mutation(() => Int, {
    description: 'Marks the caller’s own unread notifications read; returns how many it marked.',
  })
  async markNotificationsRead(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.notifications.markRead(requireViewer(ctx), ids);
  }

  @Mutation(() => NotificationPreferences)
  async updateNotificationPreferences(
    @Arg('email', () => Boolean) email: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<NotificationPreferences> {
    return NotificationPreferences.from(
      await ctx.services.notifications.updatePreferences(requireViewer(ctx), { email }),
    );
  }

  @Query(() => [WebhookEndpointType], { description: 'ADMIN only.' })
  async webhookEndpoints(@Ctx() ctx: GraphQLContext): Promise<WebhookEndpointType[]> {
    const endpoints = await ctx.services.webhooks.list(requireViewer(ctx));
    return endpoints.map((e) => WebhookEndpointType.from(e));
  }

  @Query(() => [WebhookDeliveryType], { description: 'ADMIN only. Delivery attempts to the endpoint, newest first.' })
  async webhookDeliveries(
    @Arg('endpointId', () => ID) endpointId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
  ): Promise<WebhookDeliveryType[]> {
    const attempts = await ctx.services.webhooks.deliveries(requireViewer(ctx), endpointId, first);
    return attempts.map((a) => WebhookDeliveryType.from(a));
  }

  @Mutation(() => WebhookEndpointCreated, { description: 'ADMIN only. The secret is shown in this answer only.' })
  async createWebhookEndpoint(
    @Arg('input', () => WebhookEndpointInput) input: WebhookEndpointInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointCreated> {
    const { endpoint, secret } = await ctx.services.webhooks.create(requireViewer(ctx), input);
    return { endpoint: WebhookEndpointType.from(endpoint), secret };
  }

  @Mutation(() => Boolean, { description: 'ADMIN only. False when there was no such endpoint.' })
  async deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return ctx.services.webhooks.delete(requireViewer(ctx), id);
  }

  @Mutation(() => WebhookEndpointType, {
    description: 'ADMIN only. Enables a disabled endpoint and requeues the deliveries it gave up.',
  })
  async enableWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointType> {
    return WebhookEndpointType.from(await ctx.services.webhooks.enable(requireViewer(ctx), id));
  }
}
