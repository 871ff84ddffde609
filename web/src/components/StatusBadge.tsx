import type { OrderStatus } from '../generated/graphql';
import { statusLabel } from '../orders/status';

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
