// What a customer is told about each order event, on every channel: one
// exhaustive switch from event to message (null: nothing to tell), and the
// message rendered as in-app text and as an email (plain text and HTML from
// the same blocks, so the two never say different things).
//
// Long on purpose: one exhaustive switch over every event and the blocks both
// renderings share; split, the two renderings could drift.
import escapeHtml from 'escape-html';
import { currencyExponent, formatMinorUnits } from '../money.js';
import { UnreachableCaseError } from '../errors.js';
import { OrderEventType, OrderStatus, type LineData } from '../orders/index.js';
import type { NotifiableEvent } from './order-event-feed.js';

export const NotificationKind = {
  ORDER_PLACED: 'ORDER_PLACED',
  ORDER_PAID: 'ORDER_PAID',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  ORDER_SHIPPED: 'ORDER_SHIPPED',
  ORDER_DELIVERED: 'ORDER_DELIVERED',
  ORDER_CANCELLED: 'ORDER_CANCELLED',
  ITEMS_CANCELLED: 'ITEMS_CANCELLED',
} as const;
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];

/** The order as the messages need it, read from the database when the event arrives. */
export interface OrderFacts {
  orderId: string;
  customerId: string;
  currency: string;
  totalMinor: number;
  items: { sku: string; name: string; quantity: number; unitPriceMinor: number; lineTotalMinor: number }[];
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export interface CustomerMessage {
  kind: NotificationKind;
  /** In-app title, and the email subject. */
  title: string;
  /** In-app body: one short paragraph of plain text. */
  body: string;
  email: EmailContent;
}

/** A piece of an email, rendered the same way to text and to HTML. */
type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'lines'; rows: { label: string; amount: string | null }[]; total: { label: string; amount: string } | null }
  | { kind: 'fields'; rows: { label: string; value: string }[] };

/** 2500 EUR -> "€25.00", 500 JPY -> "¥500": the currency's own symbol and decimals. */
/** One formatter per currency, made on first use: making one is far dearer than formatting with it. */
const formatters = new Map<string, Intl.NumberFormat | null>();

export function formatMoney(minorUnits: number, currencyCode: string): string {
  const decimal = formatMinorUnits(minorUnits, currencyCode) as `${number}`;
  let formatter = formatters.get(currencyCode);
  if (formatter === undefined) {
    const digits = currencyExponent(currencyCode);
    try {
      formatter = new Intl.NumberFormat('en', {
        style: 'currency',
        currency: currencyCode,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    } catch {
      formatter = null;
    }
    // One per currency the catalogue prices in: a handful of entries.
    formatters.set(currencyCode, formatter);
  }
  // A code Intl does not know still reads correctly.
  return formatter ? formatter.format(decimal) : `${decimal} ${currencyCode}`;
}

/** A short, human reference for an order: the start of its id. */
export function orderReference(orderId: string): string {
  return orderId.slice(0, 8).toUpperCase();
}

/**
 * The message an event brings the order's customer, or null when it is not
 * news to them (e.g. a status move that another event already tells).
 */
export function messageFor(event: NotifiableEvent, order: OrderFacts): CustomerMessage | null {
  const ref = orderReference(order.orderId);
  const money = (minor: number) => formatMoney(minor, order.currency);
  const total = money(order.totalMinor);
  switch (event.type) {
    case OrderEventType.CREATED:
      return compose(
        NotificationKind.ORDER_PLACED,
        `Order ${ref} placed`,
        `We received your order ${ref} for ${total}.`,
        [
          { kind: 'paragraph', text: `Thank you for your order ${ref}. Here is what you ordered:` },
          {
            kind: 'lines',
            rows: order.items.map((item) => ({
              label: `${item.quantity} × ${item.name} (${money(item.unitPriceMinor)} each)`,
              amount: money(item.lineTotalMinor),
            })),
            total: { label: 'Total', amount: total },
          },
          { kind: 'paragraph', text: 'We will let you know as soon as the payment has gone through.' },
        ],
      );
    case OrderEventType.STATUS_CHANGED: {
      const data = event.envelope.data;
      switch (data.toStatus) {
        case OrderStatus.PAID:
          return compose(
            NotificationKind.ORDER_PAID,
            `Payment received for order ${ref}`,
            `We received your payment of ${total} for order ${ref}.`,
            [
              { kind: 'paragraph', text: `We received your payment of ${total} for order ${ref}.` },
              { kind: 'paragraph', text: 'We are getting it ready and will tell you when it ships.' },
            ],
          );
        case OrderStatus.PAYMENT_FAILED: {
          const reason = data.reason ?? 'The payment was declined.';
          return compose(
            NotificationKind.PAYMENT_FAILED,
            `Payment failed for order ${ref}`,
            `The payment of ${total} for order ${ref} failed: ${reason}`,
            [
              { kind: 'paragraph', text: `The payment of ${total} for order ${ref} did not go through.` },
              { kind: 'fields', rows: [{ label: 'Reason', value: reason }] },
              { kind: 'paragraph', text: 'You can pay again, or cancel the order.' },
            ],
          );
        }
        // PARTIALLY_SHIPPED, SHIPPED and DELIVERED always come with the shipment event that caused them
        // (order.shipment_created, order.shipment_delivered), which tells it with the carrier and tracking.
        default:
          return null;
      }
    }
    case OrderEventType.CANCELLED: {
      const data = event.envelope.data;
      // What is owed is in the event; one written before fulfilment existed owes a paid order its total.
      const refund = data.refundDue?.minorUnits ?? (data.fromStatus === OrderStatus.PAID ? order.totalMinor : 0);
      const refundText =
        refund > 0 ? `A refund of ${money(refund)} is due to you.` : 'Nothing was charged, so nothing is owed.';
      return compose(
        NotificationKind.ORDER_CANCELLED,
        `Order ${ref} cancelled`,
        `Your order ${ref} has been cancelled. ${refundText}`,
        [
          { kind: 'paragraph', text: `Your order ${ref} has been cancelled.` },
          {
            kind: 'fields',
            rows: [
              ...(data.reason ? [{ label: 'Reason', value: data.reason }] : []),
              { label: 'Refund due', value: money(refund) },
            ],
          },
          { kind: 'paragraph', text: refundText },
        ],
      );
    }
    case OrderEventType.SHIPMENT_CREATED: {
      const data = event.envelope.data;
      const tracking = [
        { label: 'Carrier', value: data.carrier ?? 'not given' },
        { label: 'Tracking number', value: data.trackingNumber ?? 'not given' },
      ];
      const via = data.carrier ? ` with ${data.carrier}` : '';
      const number = data.trackingNumber ? ` (tracking number ${data.trackingNumber})` : '';
      return compose(
        NotificationKind.ORDER_SHIPPED,
        `Order ${ref} shipped`,
        `Items of your order ${ref} are on their way${via}${number}.`,
        [
          { kind: 'paragraph', text: `These items of your order ${ref} are on their way:` },
          { kind: 'lines', rows: lineRows(data.lines, order), total: null },
          { kind: 'fields', rows: tracking },
        ],
      );
    }
    case OrderEventType.SHIPMENT_DELIVERED: {
      const data = event.envelope.data;
      // The last delivery completes the order (it moved to DELIVERED in the same change).
      const all = data.toStatus === OrderStatus.DELIVERED;
      const news = all
        ? `Your order ${ref} has been delivered.`
        : `A shipment of your order ${ref} has been delivered.`;
      return compose(NotificationKind.ORDER_DELIVERED, `Order ${ref} delivered`, news, [
        { kind: 'paragraph', text: all ? `${news} The last items have arrived:` : `${news} These items have arrived:` },
        { kind: 'lines', rows: lineRows(data.lines, order), total: null },
        { kind: 'fields', rows: [{ label: 'Shipment', value: data.shipmentId }] },
        ...(all ? [{ kind: 'paragraph' as const, text: 'We hope you enjoy it.' }] : []),
      ]);
    }
    case OrderEventType.LINES_CANCELLED: {
      const data = event.envelope.data;
      // The last units cancelled cancel the order: order.cancelled, in the same change, tells it with the refund.
      if (data.toStatus === OrderStatus.CANCELLED) return null;
      const refund = data.refund.minorUnits;
      const refundText =
        refund > 0
          ? `A refund of ${money(refund)} is due to you.`
          : 'Nothing was charged for them, so nothing is owed.';
      return compose(
        NotificationKind.ITEMS_CANCELLED,
        `Items cancelled from order ${ref}`,
        `Some items of your order ${ref} have been cancelled. ${refundText}`,
        [
          { kind: 'paragraph', text: `These items of your order ${ref} have been cancelled:` },
          { kind: 'lines', rows: lineRows(data.lines, order), total: null },
          {
            kind: 'fields',
            rows: [
              ...(data.reason ? [{ label: 'Reason', value: data.reason }] : []),
              { label: 'Refund due', value: money(refund) },
            ],
          },
        ],
      );
    }
    default:
      throw new UnreachableCaseError(event);
  }
}

function lineRows(lines: LineData[], order: OrderFacts) {
  return lines.map((line) => {
    const name = order.items.find((item) => item.sku === line.sku)?.name ?? line.sku;
    return { label: `${line.quantity} × ${name}`, amount: null };
  });
}

function compose(kind: NotificationKind, title: string, body: string, blocks: Block[]): CustomerMessage {
  return {
    kind,
    title,
    body,
    email: { subject: title, text: renderText(title, blocks), html: renderHtml(title, blocks) },
  };
}

function renderText(title: string, blocks: Block[]): string {
  const parts = blocks.map((block) => {
    switch (block.kind) {
      case 'paragraph':
        return block.text;
      case 'lines': {
        const rows = [...block.rows, ...(block.total ? [block.total] : [])];
        const width = Math.max(...rows.map((r) => r.label.length));
        return rows.map((r) => `  ${r.amount === null ? r.label : `${r.label.padEnd(width)}  ${r.amount}`}`).join('\n');
      }
      case 'fields':
        return block.rows.map((r) => `${r.label}: ${r.value}`).join('\n');
      default:
        throw new UnreachableCaseError(block);
    }
  });
  return `${title}\n\n${parts.join('\n\n')}\n`;
}

/** Everything that came from outside (names, reasons, carriers) is escaped. */
function renderHtml(title: string, blocks: Block[]): string {
  const e = escapeHtml;
  const parts = blocks.map((block) => {
    switch (block.kind) {
      case 'paragraph':
        return `<p>${e(block.text)}</p>`;
      case 'lines': {
        const row = (r: { label: string; amount: string | null }, tag: 'td' | 'th') =>
          `<tr><${tag} style="text-align:left;padding:2px 12px 2px 0">${e(r.label)}</${tag}>` +
          `<${tag} style="text-align:right">${r.amount === null ? '' : e(r.amount)}</${tag}></tr>`;
        const total = block.total ? row(block.total, 'th') : '';
        return `<table>${block.rows.map((r) => row(r, 'td')).join('')}${total}</table>`;
      }
      case 'fields':
        return `<p>${block.rows.map((r) => `<strong>${e(r.label)}:</strong> ${e(r.value)}`).join('<br>')}</p>`;
      default:
        throw new UnreachableCaseError(block);
    }
  });
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${e(title)}</title></head>` +
    `<body style="font-family:sans-serif"><h1 style="font-size:1.2em">${e(title)}</h1>${parts.join('')}</body></html>`
  );
}
