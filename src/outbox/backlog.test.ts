// The outbox backlog that /metrics reports, read from a database of the test's own.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { ENTITIES } from '../bootstrap/entities.js';
import { createOrm, migrate, type Orm } from '../db/orm.js';
import { readOutboxBacklog } from './backlog.js';

let db: TestDatabase;
let orm: Orm;
beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm({ url: db.url, entities: ENTITIES });
  await migrate(orm);
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

async function addRow(ageSeconds: number, sent: boolean) {
  await orm.em.fork().execute(
    `insert into outbox (id, aggregate_id, type, envelope, created_at, sent_at)
       values (?, ?, 'order.created', '{}', now() - make_interval(secs => ?), ${sent ? 'now()' : 'null'})`,
    [randomUUID(), randomUUID(), ageSeconds],
  );
}

describe('readOutboxBacklog', () => {
  it('is empty with nothing pending', async () => {
    expect(await readOutboxBacklog(orm)).toEqual({ pending: 0, oldestAgeSeconds: null });
  });

  it('counts unsent rows and the age of the oldest, ignoring sent ones', async () => {
    await addRow(600, true);
    await addRow(90, false);
    await addRow(5, false);
    const backlog = await readOutboxBacklog(orm);
    expect(backlog.pending).toBe(2);
    expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(backlog.oldestAgeSeconds).toBeLessThan(120);
  });
});
