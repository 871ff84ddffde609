// The wire envelope of every message (SPEC section 4): {id, type, occurredAt, data}.
// docs/events.md documents it for other teams.

export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  data: T;
}

/** A message that can never be applied as it is: retried up to the poison bound, then dead-lettered. */
export class MalformedMessageError extends Error {
  readonly code = 'MALFORMED_MESSAGE';
  readonly transient = false;
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

const MAX_ID_LENGTH = 100;

/** Parses and checks the envelope of a message body; `data` is left to the consumer. */
export function parseEnvelope(content: Buffer, expectedType?: (type: string) => boolean): EventEnvelope<unknown> {
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    throw new MalformedMessageError('The body is not JSON');
  }
  if (!isRecord(body)) throw new MalformedMessageError('The body is not a JSON object');
  const { id, type, occurredAt, data } = body;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new MalformedMessageError(`envelope.id must be a string of 1..${MAX_ID_LENGTH} characters`);
  }
  if (typeof type !== 'string') throw new MalformedMessageError('envelope.type must be a string');
  if (expectedType && !expectedType(type)) throw new MalformedMessageError(`Unexpected envelope.type "${type}"`);
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) {
    throw new MalformedMessageError('envelope.occurredAt must be an ISO 8601 timestamp');
  }
  if (!isRecord(data)) throw new MalformedMessageError('envelope.data must be an object');
  return { id, type, occurredAt, data };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
