// One order, kept live: its status, items, total and timeline update the
// moment a change arrives on the socket (graphcache writes the order that
// comes with each change). A reconnect resumes from the last change's cursor
// and replays what was missed; before the first change there is no cursor,
// so the order is read again instead (this also closes the gap between the
// first read and the subscription starting).
// The audit trail (history) is written by a consumer just after the change,
// so a change can arrive before its history row: the timeline shows the
// change at once and the order is read again until the row is there (for a
// change that kept the status too, such as cancelled units with their reason).
// Fulfilment (SPEC section 10) comes with every change too: each line's
// shipped and cancelled units, the parcels with their tracking, the refund due.
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { useMutation, useQuery, useSubscription } from 'urql';
import { useRefetchOnConnect, useSession } from '../api/context';
import { explainError, explainLiveError } from '../api/errors';
import { useAnnounce } from '../components/Announcer';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { ErrorMessage } from '../components/ErrorMessage';
import { StatusBadge } from '../components/StatusBadge';
import {
  CancelMyOrderDocument,
  OrderPageDocument,
  OrderUpdatesDocument,
  type OrderUpdatesSubscription,
} from '../generated/graphql';
import { formatDateTime, shortId } from '../format';
import { OrderItems } from '../orders/OrderItems';
import { OrderShipments } from '../orders/OrderShipments';
import { hasUnrecorded, OrderTimeline, type LiveChange } from '../orders/OrderTimeline';
import { customerMayCancel, statusLabel } from '../orders/status';

export function OrderPage({ id }: { id: string }) {
  const session = useSession();
  const announce = useAnnounce();
  const [{ data, error, fetching }, refetch] = useQuery({ query: OrderPageDocument, variables: { id } });
  const [live] = useSubscription<OrderUpdatesSubscription, LiveChange[]>(
    { query: OrderUpdatesDocument, variables: { orderId: id } },
    (seen = [], { orderStatusChanged: { status, previousStatus, version, changedAt, actor } }) => [
      ...seen,
      { status, previousStatus, version, changedAt, actor },
    ],
  );
  const resumable = (live.data?.length ?? 0) > 0;
  const [cancelling, cancel] = useMutation(CancelMyOrderDocument);
  const [confirmCancel, setConfirmCancel] = useState(false);
  useRefetchOnConnect(() => {
    if (!resumable) refetch({ requestPolicy: 'network-only' });
  });

  const order = data?.order;
  const historyBehind = order
    ? (order.history.at(-1)?.toStatus ?? null) !== order.status || hasUnrecorded(order.history, live.data ?? [])
    : false;
  useHistoryCatchUp(historyBehind, () => refetch({ requestPolicy: 'network-only' }));
  const status = order?.status;
  const shownStatus = useRef(status);
  useEffect(() => {
    if (status && shownStatus.current && status !== shownStatus.current) {
      announce(`Order status changed to ${statusLabel(status)}.`);
    }
    shownStatus.current = status;
  }, [status, announce]);

  useEffect(() => {
    document.title = `Order ${shortId(id)} · Order service`;
  }, [id]);

  if (!order) {
    return (
      <section className="panel">
        <h1 tabIndex={-1}>Order {shortId(id)}</h1>
        {fetching ? <p>Loading the order…</p> : null}
        {error ? <ErrorMessage code={explainError(error).code}>{explainError(error).message}</ErrorMessage> : null}
        <p>
          <Link href="/orders">Back to my orders</Link>
        </p>
      </section>
    );
  }

  const mine = order.customer.id === session?.user.id;
  return (
    <article
      className="order"
      aria-labelledby="order-heading"
      data-order-id={order.id}
      data-version={order.version}
      data-live-changes={live.data?.length ?? 0}
    >
      <header className="order-header">
        <h1 id="order-heading" tabIndex={-1}>
          Order {shortId(order.id)}
        </h1>
        <p className="order-status">
          Status: <StatusBadge status={order.status} />
        </p>
        <ConnectionStatus />
      </header>
      {live.error ? (
        <ErrorMessage code={explainLiveError(live.error).code}>
          Live updates stopped. {explainLiveError(live.error).message} Reload the page to see the latest and start them
          again.
        </ErrorMessage>
      ) : null}
      <dl className="order-facts">
        <div>
          <dt>Placed</dt>
          <dd>
            <time dateTime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last change</dt>
          <dd>
            <time dateTime={order.updatedAt}>{formatDateTime(order.updatedAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Ship to</dt>
          <dd className="address">{order.shippingAddress}</dd>
        </div>
        {!mine ? (
          <div>
            <dt>Customer</dt>
            <dd>{order.customer.email}</dd>
          </div>
        ) : null}
      </dl>
      <OrderItems order={order} />
      <OrderShipments order={order} />
      {mine && customerMayCancel(order.status) ? (
        <div className="actions">
          {confirmCancel ? (
            <>
              <p id="cancel-question">Cancel this order? Its items go back on sale.</p>
              <button
                type="button"
                className="danger"
                aria-describedby="cancel-question"
                disabled={cancelling.fetching}
                onClick={async () => {
                  const result = await cancel({ input: { orderId: order.id } });
                  if (result.data) setConfirmCancel(false);
                }}
              >
                Yes, cancel the order
              </button>{' '}
              <button type="button" onClick={() => setConfirmCancel(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirmCancel(true)}>
              Cancel order
            </button>
          )}
          {cancelling.error ? (
            <ErrorMessage code={explainError(cancelling.error).code}>
              {explainError(cancelling.error).message}
            </ErrorMessage>
          ) : null}
        </div>
      ) : null}
      <OrderTimeline
        history={order.history}
        live={live.data ?? []}
        viewerId={session?.user.id}
        customerId={order.customer.id}
      />
    </article>
  );
}

const CATCH_UP_DELAY_MS = 1_000;
const CATCH_UP_TRIES = 10;

/** While the history is behind the order (its status, or a change that arrived live), read the order again every second (a few times). */
function useHistoryCatchUp(behind: boolean, refetch: () => void): void {
  const [tries, setTries] = useState(0);
  const latest = useRef(refetch);
  useEffect(() => {
    latest.current = refetch;
  });
  // Caught up: the next time it falls behind, it gets its tries again.
  if (!behind && tries !== 0) setTries(0);
  useEffect(() => {
    if (!behind || tries >= CATCH_UP_TRIES) return;
    const timer = setTimeout(() => {
      latest.current();
      setTries((n) => n + 1);
    }, CATCH_UP_DELAY_MS);
    return () => clearTimeout(timer);
  }, [behind, tries]);
}
