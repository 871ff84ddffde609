// The hot statements (src/db/statements.ts): on PostgreSQL each is prepared
// once per connection and reused; unprepared (the embedded database, or
// DATABASE_PREPARED_STATEMENTS=false) they go through the ORM as text; either
// way parameters bind in order and errors come out as the ORM's.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../src/bootstrap/entities.js';
import { createOrm, type Orm } from '../../src/db/orm.js';
import { Statements } from '../../src/db/statements.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testServices } from '../support/services.js';

let db: TestDatabase;
let orm: Orm;

beforeAll(async () => {
  db = await createTestDatabase();
  // One connection: every statement and every check below share its session.
  orm = await createOrm({ url: db.url, entities: ENTITIES, poolSize: 1 });
  await orm.em.fork().execute('create table probe_items (id int primary key, label text not null)');
});

afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

const INSERT = 'insert into probe_items (id, label) select ?::int, ? returning id, label';
const modes = testServices.databaseUrl ? [{ prepared: true }, { prepared: false }] : [{ prepared: false }];

async function preparedTexts(): Promise<string[]> {
  const pool = await orm.em.getConnection('write').getNativeClient();
  const { rows } = await pool.query<{ statement: string }>(
    `select statement from pg_prepared_statements where statement like '%probe_items%' order by statement`,
  );
  return rows.map((r) => r.statement);
}

describe('hot statements', () => {
  it.each(modes)('bind their parameters in order, and report a unique violation as the ORM does (%o)', async (mode) => {
    const statements = new Statements(orm, mode);
    const base = mode.prepared ? 100 : 200;
    expect(await statements.rows(INSERT, [base, 'first'])).toEqual([{ id: base, label: 'first' }]);
    expect(await statements.rows(INSERT, [base + 1, 'second'])).toEqual([{ id: base + 1, label: 'second' }]);
    await expect(statements.rows(INSERT, [base, 'again'])).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });

  it.runIf(testServices.databaseUrl)('on PostgreSQL, prepare each text once per connection and reuse it', async () => {
    const statements = new Statements(orm, { prepared: true });
    const select = 'select label from probe_items where id = ?';
    for (let i = 0; i < 5; i++) await statements.rows(select, [100]);
    const texts = await preparedTexts();
    expect(texts.filter((t) => t.includes('where id = $1'))).toHaveLength(1);
  });

  it('unprepared, leave nothing prepared behind', async () => {
    const statements = new Statements(orm, { prepared: false });
    const select = 'select label from probe_items where id = ? and label <> ?';
    expect(await statements.rows(select, [200, 'none'])).toEqual([{ label: 'first' }]);
    if (!db.embedded) expect((await preparedTexts()).filter((t) => t.includes('label <> $2'))).toEqual([]);
  });
});
