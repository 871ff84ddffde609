import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../orders/index.js';
import type { Notification } from './notification.entity.js';
import type { WebhookEndpoint } from './webhook-endpoint.entity.js';
import type { DeliveryAttemptView } from './webhook-endpoint.service.js';

export const NotificationChannel = { EMAIL: 'EMAIL', IN_APP: 'IN_APP' } as const;
export type NotificationChannel = (typeof NotificationChannel)[keyof typeof NotificationChannel];
registerEnumType(NotificationChannel, { name: 'NotificationChannel' });

@ObjectType('Notification')
export class NotificationType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  orderId!: string;

  @Field({
    description:
      'What happened: ORDER_PLACED, ORDER_PAID, PAYMENT_FAILED, ORDER_SHIPPED, ORDER_DELIVERED, ORDER_CANCELLED, ITEMS_CANCELLED.',
  })
  type!: string;

  @Field()
  title!: string;

  @Field()
  body!: string;

  @Field({ description: 'When the event happened.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  readAt!: Date | null;

  static from(row: Notification): NotificationType {
    return Object.assign(new NotificationType(), {
      id: row.id,
      orderId: row.orderId,
      type: row.type,
      title: row.title,
      body: row.body,
      createdAt: row.createdAt,
      readAt: row.readAt,
    });
  }
}

@ObjectType()
export class NotificationEdge {
  @Field()
  cursor!: string;

  @Field(() => NotificationType)
  node!: NotificationType;
}

@ObjectType()
export class NotificationConnection {
  @Field(() => [NotificationEdge])
  edges!: NotificationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType()
export class NotificationPreferences {
  @Field({ description: 'Whether order emails are sent; in-app notifications are always kept.' })
  email!: boolean;

  @Field(() => [NotificationChannel], { description: 'The channels the customer hears on.' })
  channels!: NotificationChannel[];

  static from(preferences: { email: boolean }): NotificationPreferences {
    const channels: NotificationChannel[] = preferences.email
      ? [NotificationChannel.EMAIL, NotificationChannel.IN_APP]
      : [NotificationChannel.IN_APP];
    return Object.assign(new NotificationPreferences(), { email: preferences.email, channels });
  }
}

@ObjectType('WebhookEndpoint')
export class WebhookEndpointType {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field(() => [String], { description: 'Routing keys (order.created, ...) or * for every order event.' })
  eventTypes!: string[];

  @Field()
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Why deliveries stopped; null while enabled.' })
  disabledReason!: string | null;

  @Field()
  createdAt!: Date;

  static from(row: WebhookEndpoint): WebhookEndpointType {
    return Object.assign(new WebhookEndpointType(), {
      id: row.id,
      url: row.url,
      eventTypes: [...row.eventTypes],
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      createdAt: row.createdAt,
    });
  }
}

@ObjectType()
export class WebhookEndpointCreated {
  @Field(() => WebhookEndpointType)
  endpoint!: WebhookEndpointType;

  @Field({ description: 'The signing secret (whsec_ + base64). Shown only here: store it now.' })
  secret!: string;
}

@ObjectType('WebhookDelivery', { description: 'One attempt to deliver one event to the endpoint.' })
export class WebhookDeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The event id; also the webhook-id header.' })
  eventId!: string;

  @Field()
  eventType!: string;

  @Field(() => Int, { description: '1 for the first try of this event to this endpoint.' })
  attempt!: number;

  @Field(() => Int, { nullable: true, description: 'The HTTP status the endpoint answered; null if none.' })
  statusCode!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  succeeded!: boolean;

  @Field()
  attemptedAt!: Date;

  static from(view: DeliveryAttemptView): WebhookDeliveryType {
    return Object.assign(new WebhookDeliveryType(), view);
  }
}

@InputType()
export class WebhookEndpointInput {
  @Field({ description: 'http(s); must resolve to a public address.' })
  url!: string;

  @Field(() => [String], { description: 'Routing keys (order.created, ...) or *.' })
  eventTypes!: string[];
}
