// Every change of the order, oldest first, as the audit trail records it.
import type { OrderDetailFragment, OrderStatus } from '../generated/graphql';
import { formatDateTime } from '../format';
import { statusLabel } from './status';

type Entry = OrderDetailFragment['history'][number];

export function OrderTimeline({
  history,
  viewerId,
  customerId,
}: {
  history: readonly Entry[];
  viewerId: string | undefined;
  customerId: string;
}) {
  return (
    <section aria-labelledby="timeline-heading" className="timeline">
      <h2 id="timeline-heading">Timeline</h2>
      {history.length === 0 ? <p>No changes recorded yet.</p> : null}
      <ol>
        {history.map((entry) => (
          <li key={entry.id} data-to-status={entry.toStatus ?? undefined}>
            <time dateTime={entry.occurredAt}>{formatDateTime(entry.occurredAt)}</time>
            <span className="what">{describe(entry)}</span>
            <span className="who">by {actorName(entry.actor, viewerId, customerId)}</span>
            {entry.reason ? <span className="why">“{entry.reason}”</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

function describe(entry: Entry): string {
  const to = entry.toStatus ? statusLabel(entry.toStatus) : undefined;
  switch (entry.type) {
    case 'order.created':
      return to ? `Order placed: ${to}` : 'Order placed';
    case 'order.cancelled':
      return 'Cancelled';
    default:
      return entry.fromStatus && to ? `${label(entry.fromStatus)} → ${to}` : (to ?? entry.type);
  }
}

function label(status: OrderStatus): string {
  return statusLabel(status);
}

/** `system:payments` and the like are the shop's own services; a user id is the customer or the staff. */
function actorName(actor: string, viewerId: string | undefined, customerId: string): string {
  if (actor === viewerId) return 'you';
  if (actor === customerId) return 'the customer';
  if (actor === 'system:payments') return 'the payment service';
  if (actor.startsWith('system:')) return 'the shop (automatic)';
  return 'the shop';
}
