// The wire envelope of every message (SPEC section 4): {id, type, occurredAt, data}.

export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  data: T;
}
