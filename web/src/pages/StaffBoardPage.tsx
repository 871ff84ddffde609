// The staff board: every order by status, live. A move passes the version the
// card shows as expectedVersion, so a move based on an out-of-date card is
// refused (CONFLICT) instead of overwriting someone else's change; the board
// then says so and reloads the order. Shipping units and cancelling them
// (SPEC section 10) happen in a dialog kept at the board's level, so it stays
// open while the order it is about moves to another column.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';
import { useRefetchOnConnect } from '../api/context';
import { explainError, explainLiveError, hasCode } from '../api/errors';
import { useAnnounce } from '../components/Announcer';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { ErrorMessage } from '../components/ErrorMessage';
import { StatusBadge } from '../components/StatusBadge';
import {
  BoardColumnDocument,
  BoardUpdatesDocument,
  MoveOrderDocument,
  StaffOrderDocument,
  type OrderStatus,
  type OrderSummaryFragment,
} from '../generated/graphql';
import { formatDateTime, formatMoney, shortId } from '../format';
import { totalUnits, unitsKept, unitsLeft } from '../orders/lines';
import { BOARD_STATUSES, staffMayCancelLines, staffMayShip, staffMoves, statusLabel } from '../orders/status';
import { UnitsDialog, type UnitsAction } from '../orders/UnitsDialog';

const COLUMN_SIZE = 25;
/**
 * A new order is not a change (SPEC section 9: creation is version 1, and
 * only later versions are delivered), so nothing arrives on the all-orders
 * subscription when one is placed: the first column reads itself again this
 * often. Its first change (a payment, a cancellation) does arrive live.
 */
const NEW_ORDERS_POLL_MS = 10_000;

interface Notice {
  kind: 'error' | 'done';
  code?: string;
  message: string;
}

type Notify = (orderId: string, notice: Notice | null) => void;
type Edit = (orderId: string, action: UnitsAction) => void;

export function StaffBoardPage() {
  const [live] = useSubscription({ query: BoardUpdatesDocument });
  const [reloads, setReloads] = useState(0);
  const [notices, setNotices] = useState<ReadonlyMap<string, Notice>>(new Map());
  const [editing, setEditing] = useState<{ orderId: string; action: UnitsAction } | null>(null);
  const announce = useAnnounce();
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  // With a cursor, a reconnect replays what was missed (and the columns it touches reload themselves).
  const resumable = Boolean(live.data?.orderStatusChanged.cursor);
  useRefetchOnConnect(() => {
    if (!resumable) reload();
  });

  useEffect(() => {
    document.title = 'Staff board · Order service';
  }, []);

  const notify = useCallback<Notify>((orderId, notice) => {
    setNotices((current) => {
      const next = new Map(current);
      if (notice) next.set(orderId, notice);
      else next.delete(orderId);
      return next;
    });
  }, []);
  const edit = useCallback<Edit>(
    (orderId, action) => {
      notify(orderId, null);
      setEditing({ orderId, action });
    },
    [notify],
  );

  return (
    <section aria-labelledby="board-heading" className="board-page">
      <header className="board-header">
        <h1 id="board-heading" tabIndex={-1}>
          Staff board
        </h1>
        <ConnectionStatus />
      </header>
      {live.error ? (
        <ErrorMessage code={explainLiveError(live.error).code}>
          Live updates stopped. {explainLiveError(live.error).message} Reload the page to see the latest and start them
          again.
        </ErrorMessage>
      ) : null}
      <div className="board">
        {BOARD_STATUSES.map((status) => (
          <BoardColumn
            key={status}
            status={status}
            reloads={reloads}
            notices={notices}
            notify={notify}
            edit={edit}
            reloadBoard={reload}
          />
        ))}
      </div>
      {editing ? (
        <UnitsDialog
          key={`${editing.orderId}:${editing.action}`}
          orderId={editing.orderId}
          action={editing.action}
          onClose={() => setEditing(null)}
          onDone={(message) => {
            notify(editing.orderId, { kind: 'done', message });
            announce(message);
          }}
          reloadBoard={reload}
        />
      ) : null}
    </section>
  );
}

function BoardColumn({
  status,
  reloads,
  notices,
  notify,
  edit,
  reloadBoard,
}: {
  status: OrderStatus;
  reloads: number;
  notices: ReadonlyMap<string, Notice>;
  notify: Notify;
  edit: Edit;
  reloadBoard: () => void;
}) {
  const [{ data, error, fetching }, refetch] = useQuery({
    query: BoardColumnDocument,
    variables: { status, first: COLUMN_SIZE },
  });
  useEffect(() => {
    if (reloads > 0) refetch({ requestPolicy: 'network-only' });
  }, [reloads, refetch]);
  useEffect(() => {
    if (status !== 'PENDING') return;
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), NEW_ORDERS_POLL_MS);
    return () => clearInterval(timer);
  }, [status, refetch]);

  // The list may lag behind a change that already reached the order: show each order where it is now.
  const orders = data?.orders.edges.map((edge) => edge.node).filter((order) => order.status === status) ?? [];
  const headingId = `column-${status}`;
  const total = data?.orders.totalCount;
  return (
    <section className="column" aria-labelledby={headingId} data-column={status}>
      <h2 id={headingId}>
        {statusLabel(status)} <span className="count">{total ?? '…'}</span>
      </h2>
      {error && !data ? (
        <ErrorMessage code={explainError(error).code}>{explainError(error).message}</ErrorMessage>
      ) : null}
      {fetching && !data ? <p className="hint">Loading…</p> : null}
      <ul>
        {orders.map((order) => (
          <li key={order.id}>
            <OrderCard
              order={order}
              notice={notices.get(order.id)}
              notify={notify}
              edit={edit}
              reloadBoard={reloadBoard}
            />
          </li>
        ))}
      </ul>
      {total !== undefined && total > orders.length ? <p className="hint">and {total - orders.length} older</p> : null}
    </section>
  );
}

function OrderCard({
  order,
  notice,
  notify,
  edit,
  reloadBoard,
}: {
  order: OrderSummaryFragment;
  notice: Notice | undefined;
  notify: Notify;
  edit: Edit;
  reloadBoard: () => void;
}) {
  const client = useClient();
  const announce = useAnnounce();
  const [moving, move] = useMutation(MoveOrderDocument);
  const titleId = `order-${order.id}`;
  const items = totalUnits(order.items, (line) => line.quantity);
  const kept = totalUnits(order.items, unitsKept);
  const shipped = totalUnits(order.items, (line) => line.quantityShipped);
  const left = totalUnits(order.items, unitsLeft);
  const mayShip = staffMayShip(order.status) && left > 0;
  const mayCancelLines = staffMayCancelLines(order.status) && left > 0;

  const moveTo = async (status: OrderStatus) => {
    notify(order.id, null);
    const seen = order.version;
    const result = await move({ input: { orderId: order.id, status, expectedVersion: seen } });
    if (result.data) {
      const message = `Order ${shortId(order.id)} moved to ${statusLabel(status)}.`;
      notify(order.id, { kind: 'done', message });
      announce(message);
      return;
    }
    if (!result.error) return;
    const explained = explainError(result.error);
    notify(order.id, { kind: 'error', code: explained.code, message: explained.message });
    if (hasCode(result.error, 'CONFLICT') || hasCode(result.error, 'INVALID_STATUS_TRANSITION')) {
      // Read the order as it is now; the board follows it to its column.
      await client.query(StaffOrderDocument, { id: order.id }, { requestPolicy: 'network-only' }).toPromise();
      reloadBoard();
    }
  };

  return (
    <article className="card" aria-labelledby={titleId} data-order-id={order.id} data-version={order.version}>
      <h3 id={titleId}>
        <Link href={`/orders/${order.id}`}>Order {shortId(order.id)}</Link>
      </h3>
      <p className="card-meta">
        {order.customer.email}
        <br />
        {items} {items === 1 ? 'item' : 'items'} · {formatMoney(order.total)}
        {shipped > 0 && shipped < kept ? (
          <>
            <br />
            <span data-testid="card-shipped">
              {shipped} of {kept} shipped
            </span>
          </>
        ) : null}
        {order.refundDue.minorUnits > 0 ? (
          <>
            <br />
            <span data-testid="card-refund">Refund due {formatMoney(order.refundDue)}</span>
          </>
        ) : null}
        <br />
        <time dateTime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
      </p>
      <p className="card-status">
        <StatusBadge status={order.status} /> <span className="version">version {order.version}</span>
      </p>
      {staffMoves(order.status).length > 0 ? (
        <div className="card-actions" role="group" aria-label={`Move order ${shortId(order.id)}`}>
          {staffMoves(order.status).map((status) => (
            <button
              key={status}
              type="button"
              className={status === 'CANCELLED' ? 'danger small' : 'small'}
              disabled={moving.fetching}
              onClick={() => void moveTo(status)}
            >
              {status === 'CANCELLED' ? 'Cancel order' : `Mark ${statusLabel(status).toLowerCase()}`}
            </button>
          ))}
        </div>
      ) : null}
      {mayShip || mayCancelLines ? (
        <div className="card-actions" role="group" aria-label={`Units of order ${shortId(order.id)}`}>
          {mayShip ? (
            <button type="button" className="small" onClick={() => edit(order.id, 'ship')}>
              Ship units…
            </button>
          ) : null}
          {mayCancelLines ? (
            <button type="button" className="small danger" onClick={() => edit(order.id, 'cancel')}>
              Cancel units…
            </button>
          ) : null}
        </div>
      ) : null}
      {notice?.kind === 'error' ? <ErrorMessage code={notice.code}>{notice.message}</ErrorMessage> : null}
      {notice?.kind === 'done' ? <p className="done">{notice.message}</p> : null}
    </article>
  );
}
