// One order, kept live: its status, items, total and timeline update the
// moment a change arrives on the socket (graphcache writes the order that
// comes with each change). After a reconnect the order is read again.
//
// Slots for what the schema does not have yet (SPEC sections 9-10): each
// item's status (OrderItems), shipments with tracking, and the refund due
// are sections of their own below the items; the resume cursor replaces
// useRefetchOnConnect.
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { useMutation, useQuery, useSubscription } from 'urql';
import { useRefetchOnConnect, useSession } from '../api/context';
import { explainError } from '../api/errors';
import { useAnnounce } from '../components/Announcer';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { ErrorMessage } from '../components/ErrorMessage';
import { StatusBadge } from '../components/StatusBadge';
import { CancelMyOrderDocument, OrderPageDocument, OrderUpdatesDocument } from '../generated/graphql';
import { formatDateTime, shortId } from '../format';
import { OrderItems } from '../orders/OrderItems';
import { OrderTimeline } from '../orders/OrderTimeline';
import { customerMayCancel, statusLabel } from '../orders/status';

export function OrderPage({ id }: { id: string }) {
  const session = useSession();
  const announce = useAnnounce();
  const [{ data, error, fetching }, refetch] = useQuery({ query: OrderPageDocument, variables: { id } });
  const [live] = useSubscription({ query: OrderUpdatesDocument, variables: { orderId: id } });
  const [cancelling, cancel] = useMutation(CancelMyOrderDocument);
  const [confirmCancel, setConfirmCancel] = useState(false);
  useRefetchOnConnect(() => refetch({ requestPolicy: 'network-only' }));

  const order = data?.order;
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
    <article className="order" aria-labelledby="order-heading" data-order-id={order.id} data-version={order.version}>
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
        <ErrorMessage code={explainError(live.error).code}>
          Live updates stopped: {explainError(live.error).message} Reload the page to start them again.
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
      <OrderTimeline history={order.history} viewerId={session?.user.id} customerId={order.customer.id} />
    </article>
  );
}
