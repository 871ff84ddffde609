// Relay-style pages, the same for every list the API returns: `first` is
// 1..MAX_PAGE_SIZE (the cost limits price a list at its largest page).
import { BadInputError } from './errors.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export function parsePageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be 1 to ${MAX_PAGE_SIZE}`, 'first');
  }
  return size;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}
