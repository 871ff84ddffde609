// Webhook endpoints for partner systems, ADMIN only: register (URL and event
// types checked, the secret shown once), list, delete, enable again after
// the dispatcher disabled one, and read the delivery attempts.
import { randomBytes } from 'node:crypto';
import { Role, type Viewer } from '../auth/index.js';
import type { Orm } from '../db/orm.js';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors.js';
import { parseUuid } from '../orders/index.js';
import { parsePageSize } from '../pagination.js';
import { NotificationDelivery } from './delivery.entity.js';
import { NOTIFIABLE_EVENT_TYPES, isNotifiableEventType } from './order-event-feed.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import { parseWebhookUrl, RefusedTargetError, resolveTarget, type Resolver } from './webhook-targets.js';

export const ALL_EVENTS = '*';
export const MAX_EVENT_TYPES = 20;

export interface WebhookEndpointOptions {
  allowPrivateTargets: boolean;
  resolver?: Resolver;
}

export interface DeliveryAttemptView {
  id: string;
  eventId: string;
  eventType: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  succeeded: boolean;
  attemptedAt: Date;
}

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export class WebhookEndpointService {
  constructor(
    private readonly orm: Orm,
    private readonly options: WebhookEndpointOptions,
  ) {}

  async create(
    viewer: Viewer,
    input: { url: string; eventTypes: string[] },
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    requireAdmin(viewer);
    const eventTypes = parseEventTypes(input.eventTypes);
    let url: URL;
    try {
      url = parseWebhookUrl(input.url);
      await resolveTarget(url, { allowPrivate: this.options.allowPrivateTargets, resolver: this.options.resolver });
    } catch (error) {
      if (error instanceof RefusedTargetError) throw new BadInputError(`url ${error.reason}`, 'url');
      throw error;
    }
    const secret = newWebhookSecret();
    const em = this.orm.em.fork();
    const endpoint = em.create(WebhookEndpoint, { url: url.toString(), eventTypes, secret, createdBy: viewer.userId });
    await em.flush();
    return { endpoint, secret };
  }

  async list(viewer: Viewer): Promise<WebhookEndpoint[]> {
    requireAdmin(viewer);
    return this.orm.em.fork().find(WebhookEndpoint, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** False when there was no such endpoint. Its pending deliveries go with it. */
  async delete(viewer: Viewer, id: string): Promise<boolean> {
    requireAdmin(viewer);
    const deleted = await this.orm.em.fork().nativeDelete(WebhookEndpoint, { id: parseUuid(id, 'id') });
    return deleted > 0;
  }

  /**
   * Turns a disabled endpoint back on and requeues the deliveries it gave
   * up, each with a full set of tries; those held while it was disabled go
   * out as well.
   */
  async enable(viewer: Viewer, id: string): Promise<WebhookEndpoint> {
    requireAdmin(viewer);
    const endpointId = parseUuid(id, 'id');
    return this.orm.em.fork().transactional(async (tx) => {
      const endpoint = await tx.findOne(WebhookEndpoint, { id: endpointId });
      if (!endpoint) throw new NotFoundError('Webhook endpoint not found');
      endpoint.enabled = true;
      endpoint.disabledReason = null;
      await tx.nativeUpdate(
        NotificationDelivery,
        { endpointId, status: 'failed' },
        { status: 'pending', attempts: 0, nextAttemptAt: new Date(), failedAt: null },
      );
      await tx.flush();
      return endpoint;
    });
  }

  /** The endpoint's delivery attempts, newest first. */
  async deliveries(viewer: Viewer, endpointId: string, firstArg: number | null | undefined) {
    requireAdmin(viewer);
    const id = parseUuid(endpointId, 'endpointId');
    const first = parsePageSize(firstArg);
    const em = this.orm.em.fork();
    if (!(await em.count(WebhookEndpoint, { id }))) throw new NotFoundError('Webhook endpoint not found');
    const rows = await em.execute<
      {
        id: string;
        event_id: string;
        event_type: string;
        attempt: number;
        status_code: number | null;
        error: string | null;
        succeeded: boolean;
        attempted_at: Date;
      }[]
    >(
      `select a.id, d.event_id, d.event_type, a.attempt, a.status_code, a.error, a.succeeded, a.attempted_at
       from notification_delivery_attempts a join notification_deliveries d on d.id = a.delivery_id
       where d.endpoint_id = ?
       order by a.attempted_at desc, a.id desc
       limit ?`,
      [id, first],
    );
    return rows.map((r): DeliveryAttemptView => ({
      id: r.id,
      eventId: r.event_id,
      eventType: r.event_type,
      attempt: r.attempt,
      statusCode: r.status_code,
      error: r.error,
      succeeded: r.succeeded,
      attemptedAt: new Date(r.attempted_at),
    }));
  }
}

function requireAdmin(viewer: Viewer): void {
  if (viewer.role !== Role.ADMIN) throw new ForbiddenError('Only an admin may manage webhook endpoints');
}

function parseEventTypes(raw: string[]): string[] {
  const types = [...new Set(raw.map((t) => t.trim()))];
  if (types.length === 0) throw new BadInputError('eventTypes needs at least one event type, or *', 'eventTypes');
  if (types.length > MAX_EVENT_TYPES) throw new BadInputError(`at most ${MAX_EVENT_TYPES} event types`, 'eventTypes');
  for (const type of types) {
    if (type !== ALL_EVENTS && !isNotifiableEventType(type)) {
      throw new BadInputError(
        `Unknown event type "${type.slice(0, 64)}": use * or one of ${NOTIFIABLE_EVENT_TYPES.join(', ')}`,
        'eventTypes',
      );
    }
  }
  return types.includes(ALL_EVENTS) ? [ALL_EVENTS] : types;
}
