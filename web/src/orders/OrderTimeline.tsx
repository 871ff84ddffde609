// Every change of the order, oldest first, as the audit trail records it,
// plus the changes that arrived live and are not recorded there yet.
import type { OrderDetailFragment, OrderStatus } from '../generated/graphql';
import { formatDateTime } from '../format';
import { statusLabel } from './status';

type Entry = OrderDetailFragment['history'][number];

/** A change as the subscription reports it. */
export interface LiveChange {
  status: OrderStatus;
  previousStatus: OrderStatus | null;
  version: number;
  changedAt: string;
  actor: string;
}

export function OrderTimeline({
  history,
  live,
  viewerId,
  customerId,
}: {
  history: readonly Entry[];
  live: readonly LiveChange[];
  viewerId: string | undefined;
  customerId: string;
}) {
  const entries = withUnrecorded(history, live);
  return (
    <section aria-labelledby="timeline-heading" className="timeline">
      <h2 id="timeline-heading">Timeline</h2>
      {entries.length === 0 ? <p>No changes recorded yet.</p> : null}
      <ol>
        {entries.map((entry) => (
          <li
            key={entry.id}
            data-to-status={movesStatus(entry) ? (entry.toStatus ?? undefined) : undefined}
            data-event={entry.type}
            data-recorded={entry.recorded}
          >
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

/** The same change in the audit trail has the same target status and the same instant (the event's). */
function isRecorded(change: LiveChange, history: readonly Entry[]): boolean {
  return history.some(
    (entry) => entry.toStatus === change.status && Date.parse(entry.occurredAt) === Date.parse(change.changedAt),
  );
}

/** Whether a change that arrived live is not in the audit trail yet (the page reads the order again until it is). */
export function hasUnrecorded(history: readonly Entry[], live: readonly LiveChange[]): boolean {
  return live.some((change) => !isRecorded(change, history));
}

function withUnrecorded(history: readonly Entry[], live: readonly LiveChange[]): (Entry & { recorded: boolean })[] {
  const recorded = history.map((entry) => ({ ...entry, recorded: true }));
  const unrecorded = live
    .filter((change) => !isRecorded(change, history))
    .map((change) => ({
      id: `live:${change.version}`,
      type: change.previousStatus ? 'order.status_changed' : 'order.created',
      fromStatus: change.previousStatus,
      toStatus: change.status,
      actor: change.actor,
      reason: null,
      occurredAt: change.changedAt,
      recorded: false,
    }));
  return [...recorded, ...unrecorded].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}

/** What happened to an order's lines (SPEC section 10): told in words; a status move that follows has its own entry. */
const LINE_EVENTS: Record<string, string> = {
  'order.shipment_created': 'Shipment sent',
  'order.shipment_delivered': 'Shipment delivered',
  'order.lines_cancelled': 'Items cancelled',
};

/** Whether an entry is the order's creation or a move of its status (not a shipment or a change that kept it). */
function movesStatus(entry: Entry): boolean {
  return !(entry.type in LINE_EVENTS) && entry.fromStatus !== entry.toStatus;
}

function describe(entry: Entry): string {
  const to = entry.toStatus ? statusLabel(entry.toStatus) : undefined;
  if (entry.type in LINE_EVENTS) return LINE_EVENTS[entry.type] ?? entry.type;
  if (entry.fromStatus !== null && entry.fromStatus === entry.toStatus) return 'Shipment update';
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
