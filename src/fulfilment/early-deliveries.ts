// A `shipment.delivered` can overtake its `shipment.shipped` (a retried
// message goes to the back of its queue). Rather than lose it, the delivery is
// kept here, under the order's lock, and applied when its shipment arrives.
// The order itself does not change until then.
import type { EntityManager } from '@mikro-orm/postgresql';

/** Keeps a delivery of a shipment the order does not have yet; a second copy changes nothing. */
export async function keepEarlyDelivery(
  tx: EntityManager,
  delivery: { orderId: string; shipmentId: string; messageId: string },
): Promise<void> {
  await tx.execute(
    `insert into early_deliveries (order_id, shipment_id, message_id, received_at) values (?, ?, ?, now())
     on conflict (order_id, shipment_id) do nothing`,
    [delivery.orderId, delivery.shipmentId, delivery.messageId],
  );
}

/** Removes and reports the delivery kept for this shipment, if one came early. */
export async function takeEarlyDelivery(
  tx: EntityManager,
  orderId: string,
  shipmentId: string,
): Promise<{ messageId: string } | null> {
  const rows = await tx.execute<{ message_id: string }[]>(
    `delete from early_deliveries where order_id = ? and shipment_id = ? returning message_id`,
    [orderId, shipmentId],
  );
  return rows[0] ? { messageId: rows[0].message_id } : null;
}
