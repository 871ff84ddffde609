// API errors in words a shopper understands. The API's `extensions.code` is
// the contract (SPEC section 3); the message it sends is for developers.
import type { CombinedError } from 'urql';
import { statusLabel } from '../orders/status';
import type { OrderStatus } from '../generated/graphql';

export interface ErrorContext {
  /** Product names by sku, to name what ran out. */
  productName?: (sku: string) => string | undefined;
  /** A shipment or a cancellation of units: what was asked of the line at each index of the request. */
  units?: UnitsRequest;
}

export interface UnitsRequest {
  verb: 'ship' | 'cancel';
  /** The line at `index` of the request: its product's name, the units asked for, and how many are left now. */
  line(index: number): { name: string; asked: number; left: number } | undefined;
}

export interface ExplainedError {
  code: string;
  message: string;
  /** Seconds to wait before trying again (RATE_LIMITED). */
  retryAfter?: number;
}

export function explainError(error: CombinedError, context: ErrorContext = {}): ExplainedError {
  const first = error.graphQLErrors[0];
  if (!first) {
    return {
      code: 'NETWORK',
      message: "We can't reach the shop right now. Check your connection; we'll keep trying.",
    };
  }
  const extensions = first.extensions ?? {};
  const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
  switch (code) {
    case 'OUT_OF_STOCK': {
      const sku = typeof extensions.sku === 'string' ? extensions.sku : undefined;
      const name = (sku && context.productName?.(sku)) ?? sku ?? 'one of the products';
      const requested = typeof extensions.requested === 'number' ? extensions.requested : undefined;
      return {
        code,
        message:
          `Sorry, we don't have enough of ${name} in stock` +
          (requested ? ` for ${requested}` : '') +
          '. Lower the quantity or remove it, then order again. Nothing was charged.',
      };
    }
    case 'RATE_LIMITED': {
      const retryAfter = typeof extensions.retryAfter === 'number' ? Math.max(1, Math.ceil(extensions.retryAfter)) : 60;
      return {
        code,
        retryAfter,
        message: `That was a lot of requests in a short time. Please wait ${seconds(retryAfter)} and try again.`,
      };
    }
    case 'CONFLICT':
      return {
        code,
        message:
          'Someone else changed this order just before you did, so your change was not made. ' +
          'We have reloaded the order: check its status and try again if it still needs to move.',
      };
    case 'INVALID_STATUS_TRANSITION': {
      const from = typeof extensions.from === 'string' ? statusLabel(extensions.from as OrderStatus) : undefined;
      const to = typeof extensions.to === 'string' ? statusLabel(extensions.to as OrderStatus) : undefined;
      return {
        code,
        message:
          from && to
            ? `An order that is "${from}" cannot be marked "${to}".`
            : 'The order cannot make that move from where it is now.',
      };
    }
    case 'UNAUTHENTICATED':
      return { code, message: 'Your session has ended. Please sign in again.' };
    case 'FORBIDDEN':
      return { code, message: "Your account isn't allowed to do that." };
    case 'NOT_FOUND':
      return { code, message: "We couldn't find that order in your account." };
    case 'INVALID_CREDENTIALS':
      return { code, message: "That email and password don't match an account. Check them and try again." };
    case 'EMAIL_TAKEN':
      return { code, message: 'There is already an account with that email. Sign in instead?' };
    case 'BAD_USER_INPUT': {
      const tooMany = explainTooManyUnits(extensions.field, context.units);
      if (tooMany) return { code, message: tooMany };
      // The API's messages for bad input name the field and the rule (e.g. "Password must be 8 to 72 bytes").
      return { code, message: `Please check what you entered: ${first.message}` };
    }
    case 'QUERY_TOO_COMPLEX':
      return { code, message: 'That request was too large for the shop to answer. Please try a smaller one.' };
    default: {
      const requestId = typeof extensions.requestId === 'string' ? extensions.requestId : undefined;
      return {
        code: 'INTERNAL_SERVER_ERROR',
        message:
          'Something went wrong on our side. Please try again in a moment.' +
          (requestId ? ` If it keeps happening, quote reference ${requestId}.` : ''),
      };
    }
  }
}

/** Why live updates stopped. A resume cursor older than the API keeps is BAD_USER_INPUT (SPEC section 9). */
export function explainLiveError(error: CombinedError): ExplainedError {
  if (hasCode(error, 'BAD_USER_INPUT')) {
    return { code: 'BAD_USER_INPUT', message: 'This page was away too long to catch up on what changed.' };
  }
  return explainError(error);
}

export function hasCode(error: CombinedError | undefined, code: string): boolean {
  return error?.graphQLErrors.some((e) => e.extensions?.code === code) ?? false;
}

/** The API names the offending line of a shipment or cancellation as `lines.<index>.quantity`. */
function explainTooManyUnits(field: unknown, request: UnitsRequest | undefined): string | undefined {
  const index = typeof field === 'string' ? /^lines\.(\d+)\.quantity$/.exec(field)?.[1] : undefined;
  const line = index !== undefined ? request?.line(Number(index)) : undefined;
  // The same field is named for other mistakes (zero units): only more than is left is explained here.
  if (!request || !line || line.asked <= line.left) return undefined;
  const left = line.left === 0 ? 'none is' : line.left === 1 ? 'only 1 is' : `only ${line.left} are`;
  return (
    `You asked to ${request.verb} ${line.asked} of ${line.name}, but ${left} left to ${request.verb} ` +
    '(the rest has already shipped or been cancelled). Nothing was changed: the form now shows what is left.'
  );
}

function seconds(n: number): string {
  return n === 1 ? '1 second' : `${n} seconds`;
}
