// How far the relay is behind: read at each metrics scrape. The partial index
// outbox_pending_index keeps this cheap however many rows were already sent.
import type { Orm } from '../db/orm.js';
import type { OutboxBacklog } from '../observability/metrics.js';

export async function readOutboxBacklog(orm: Orm): Promise<OutboxBacklog> {
  const [row] = await orm.em
    .fork()
    .execute<{ pending: string; oldest_age: string | null }[]>(
      'select count(*) as pending, extract(epoch from now() - min(created_at)) as oldest_age from outbox where sent_at is null',
    );
  // count(*) and extract() come back as strings (bigint, numeric).
  return {
    pending: Number(row?.pending ?? 0),
    oldestAgeSeconds: row?.oldest_age == null ? null : Math.max(0, Number(row.oldest_age)),
  };
}
