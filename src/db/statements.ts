// The standalone statements of the hottest paths (a cache miss, createOrder's
// two) as named prepared statements on the ORM's own pool: parsed and planned
// once per connection. Through the ORM every parameter is written into the
// SQL text, so PostgreSQL parses and plans each call anew; for statements
// this size that was most of what they cost it (pgbench, the order snapshot
// on 40000 orders: 13.3k/s sent as text, 46k/s prepared). Where the database
// cannot keep them (DATABASE_PREPARED_STATEMENTS=false, the embedded
// database) they go through the ORM as before. Errors come out as the ORM's
// either way (a unique violation is UniqueConstraintViolationException).
import { createHash } from 'node:crypto';
import type { QueryResultRow } from 'pg';
import type { Orm } from './orm.js';

export interface StatementSettings {
  /**
   * Prepare each statement once per connection (DATABASE_PREPARED_STATEMENTS). Off on the embedded
   * database, whose server runs every connection in one session: a name one connection prepared would
   * collide with the next's. (So would a pooler that does not track named statements, such as PgBouncer
   * before 1.21.)
   */
  prepared: boolean;
}

interface Compiled {
  name: string;
  text: string;
}

export class Statements {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    private readonly orm: Orm,
    private readonly settings: StatementSettings,
  ) {}

  /**
   * The rows of `sql` with `params` bound, on the primary. `sql` takes `?` placeholders, as the ORM's
   * `execute` does; every `?` in it is one (these statements use no jsonb `?` operator).
   */
  async rows<T extends QueryResultRow>(sql: string, params: readonly unknown[]): Promise<T[]> {
    // Unprepared, it goes as the ORM sends everything: text, one message, on the primary. (Bound but
    // unnamed would be several messages, which the embedded server may interleave with another connection's.)
    if (!this.settings.prepared) return this.orm.em.getDriver().execute<T[]>(sql, [...params]);
    const { name, text } = this.compile(sql);
    const pool = await this.orm.em.getConnection('write').getNativeClient();
    try {
      const result = await pool.query<T>({ name, text, values: [...params] });
      return result.rows;
    } catch (error) {
      throw this.orm.em
        .getPlatform()
        .getExceptionConverter()
        .convertException(error as Error);
    }
  }

  private compile(sql: string): Compiled {
    let compiled = this.compiled.get(sql);
    if (!compiled) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      // Named by its text: two statements never share a name, and a connection that prepared one reuses it.
      compiled = { name: `s_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
      this.compiled.set(sql, compiled);
    }
    return compiled;
  }
}
