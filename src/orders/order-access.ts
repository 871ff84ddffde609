// Who may see an order: an admin sees every order, a customer their own.
// The one statement of that rule; reads, moves and live updates all ask it,
// and someone else's order is NOT_FOUND, exactly like a missing one.
import { Role } from '../auth/index.js';
import type { Viewer } from '../auth/index.js';
import { NotFoundError } from '../errors.js';

export function visibleTo(viewer: Pick<Viewer, 'role' | 'userId'>, order: { customerId: string }): boolean {
  return viewer.role === Role.ADMIN || order.customerId === viewer.userId;
}

/** The order when `viewer` may see it; NOT_FOUND when it is missing or someone else's. */
export function requireVisible<T extends { customerId: string }>(
  viewer: Pick<Viewer, 'role' | 'userId'>,
  order: T | null | undefined,
): T {
  if (!order || !visibleTo(viewer, order)) throw new NotFoundError('Order not found');
  return order;
}
