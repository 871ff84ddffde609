// The in-app side for the caller: their notifications (newest first, Relay
// cursors like `orders`), the unread count, marking read, and preferences.
// Every query is scoped to the caller; someone else's ids match nothing.
import type { FilterQuery } from '@mikro-orm/core';
import type { Viewer } from '../auth/index.js';
import type { Orm } from '../db/orm.js';
import { BadInputError } from '../errors.js';
import { decodeCursor, encodeCursor, parseUuid } from '../orders/index.js';
import { parsePageSize } from '../pagination.js';
import { Notification, NotificationPreference } from './notification.entity.js';

export const MAX_MARK_READ_IDS = 500;

export interface NotificationPage {
  edges: { cursor: string; node: Notification }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

export interface Preferences {
  email: boolean;
}

export class NotificationService {
  constructor(private readonly orm: Orm) {}

  async list(viewer: Viewer, firstArg: number | null | undefined, after: string | null | undefined) {
    const first = parsePageSize(firstArg);
    const mine: FilterQuery<Notification> = { userId: viewer.userId };
    const where: FilterQuery<Notification> = after
      ? (() => {
          const cursor = decodeCursor(after);
          return {
            $and: [
              mine,
              {
                $or: [
                  { createdAt: { $lt: cursor.createdAt } },
                  { createdAt: cursor.createdAt, id: { $lt: cursor.id } },
                ],
              },
            ],
          };
        })()
      : mine;
    const em = this.orm.em.fork();
    const [rows, totalCount] = await Promise.all([
      em.find(Notification, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first + 1 }),
      em.fork().count(Notification, mine),
    ]);
    const edges = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(node), node }));
    return { edges, hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null, totalCount };
  }

  async unreadCount(viewer: Viewer): Promise<number> {
    return this.orm.em.fork().count(Notification, { userId: viewer.userId, readAt: null });
  }

  /** Marks the caller's own unread notifications among `ids` read; returns how many it marked. */
  async markRead(viewer: Viewer, ids: readonly string[]): Promise<number> {
    if (ids.length > MAX_MARK_READ_IDS) throw new BadInputError(`at most ${MAX_MARK_READ_IDS} ids at once`, 'ids');
    const wanted = [...new Set(ids.map((id) => parseUuid(id, 'ids')))];
    if (wanted.length === 0) return 0;
    return this.orm.em
      .fork()
      .nativeUpdate(Notification, { id: { $in: wanted }, userId: viewer.userId, readAt: null }, { readAt: new Date() });
  }

  async preferences(viewer: Viewer): Promise<Preferences> {
    const row = await this.orm.em.fork().findOne(NotificationPreference, { userId: viewer.userId });
    return { email: row?.email ?? true };
  }

  async updatePreferences(viewer: Viewer, changes: { email: boolean }): Promise<Preferences> {
    await this.orm.em.fork().execute(
      `insert into notification_preferences (user_id, email, updated_at) values (?, ?, now())
       on conflict (user_id) do update set email = excluded.email, updated_at = now()`,
      [viewer.userId, changes.email],
    );
    return { email: changes.email };
  }
}
