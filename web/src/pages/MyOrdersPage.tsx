// The signed-in customer's orders, newest first.
import { useEffect } from 'react';
import { Link } from 'wouter';
import { useQuery } from 'urql';
import { explainError } from '../api/errors';
import { ErrorMessage } from '../components/ErrorMessage';
import { StatusBadge } from '../components/StatusBadge';
import { MyOrdersDocument } from '../generated/graphql';
import { formatDateTime, formatMoney, shortId } from '../format';

const PAGE_SIZE = 20;

export function MyOrdersPage() {
  const [{ data, error, fetching }, refetch] = useQuery({
    query: MyOrdersDocument,
    variables: { first: PAGE_SIZE },
    requestPolicy: 'cache-and-network',
  });

  useEffect(() => {
    document.title = 'My orders · Order service';
  }, []);

  const orders = data?.orders.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="orders-heading">
      <h1 id="orders-heading" tabIndex={-1}>
        My orders
      </h1>
      {error ? (
        <ErrorMessage code={explainError(error).code}>
          {explainError(error).message}{' '}
          <button type="button" className="link-button" onClick={() => refetch({ requestPolicy: 'network-only' })}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {fetching && !data ? <p>Loading your orders…</p> : null}
      {data && orders.length === 0 ? (
        <p>
          You have no orders yet. <Link href="/">Browse the catalogue</Link>.
        </p>
      ) : null}
      {orders.length > 0 ? (
        <table className="orders">
          <caption className="visually-hidden">Your orders, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id} data-order-id={order.id}>
                <th scope="row">
                  <Link href={`/orders/${order.id}`}>Order {shortId(order.id)}</Link>
                </th>
                <td>{formatDateTime(order.createdAt)}</td>
                <td>
                  <StatusBadge status={order.status} />
                </td>
                <td className="num">{formatMoney(order.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data && data.orders.totalCount > orders.length ? (
        <p className="hint">
          Showing your {orders.length} most recent of {data.orders.totalCount} orders.
        </p>
      ) : null}
    </section>
  );
}
