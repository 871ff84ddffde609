// Arrays that many live subscribers each hold for hours, kept to their size.
// An empty array of one's own is 32 bytes, and V8 gives an empty array that
// is pushed to room for seventeen items; most of these hold none or one.
// (At 10k subscribers, each such array is ~0.3 to 1.3 MiB.) So every holder
// starts with the one shared empty list, and adds only through `withItem`.

/** The empty list all holders share until they have an item. Frozen: a push to it throws. */
const NONE: readonly never[] = Object.freeze([]);

/** The shared empty list, typed for a holder that adds to it only through `withItem`. */
export function noItems<T>(): T[] {
  // A cast, not a copy: sharing one empty list is the point, and the freeze turns a stray push into an error.
  return NONE as unknown as T[];
}

/** `list` with `item` added: a one-item array in place of an empty one, else `list` itself, pushed to. */
export function withItem<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

/** The first item, removed from `list`; undefined if it has none (the shared empty list is never written). */
export function takeFirst<T>(list: T[]): T | undefined {
  return list.length === 0 ? undefined : list.shift();
}
