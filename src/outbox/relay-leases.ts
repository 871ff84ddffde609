// The leases one relay holds on outbox rows (src/db/held-leases.ts): every
// row it claimed and has not yet marked sent or released, renewed while held.
import type { Orm } from '../db/orm.js';
import { HeldLeases } from '../db/held-leases.js';
import type { Logger } from '../logger.js';
import { errorSummary } from '../broker/retry.js';

export class RelayLeases extends HeldLeases {
  constructor(
    orm: Orm,
    /** The relay named in `locked_by`. */
    readonly relayId: string,
    leaseMs: number,
    logger: Logger,
  ) {
    super(
      leaseMs,
      (ids, ms) =>
        orm.em.fork().execute(
          `update outbox set locked_until = now() + (? * interval '1 millisecond')
             where locked_by = ? and sent_at is null and id in (${ids.map(() => '?').join(', ')})`,
          [ms, relayId, ...ids],
        ),
      (error, rows) =>
        // The database is away: the relay writes its rows down (or the leases expire) once it answers.
        logger.debug({ err: errorSummary(error), rows }, 'outbox relay could not renew its leases'),
    );
  }
}
