// The inbox: which messages a consumer has applied. Recorded in the same
// transaction as the change a message causes, so a redelivery or a
// duplicate finds its id here and changes nothing twice.
import type { EntityManager } from '@mikro-orm/postgresql';

/** True when this is the first time `consumer` sees `messageId` (and it is now recorded); false for a duplicate. */
export async function recordProcessed(tx: EntityManager, consumer: string, messageId: string): Promise<boolean> {
  // A concurrent copy of the same message waits here on the primary key until the first commits, then conflicts.
  const rows = await tx.execute<{ message_id: string }[]>(
    `insert into processed_messages (consumer, message_id, processed_at) values (?, ?, now())
     on conflict (consumer, message_id) do nothing returning message_id`,
    [consumer, messageId],
  );
  return rows.length > 0;
}
