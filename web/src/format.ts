// Money, dates and ids as a person reads them, in the browser's own locale.
import type { MoneyPartsFragment } from './generated/graphql';

export function formatMoney(money: Pick<MoneyPartsFragment, 'amount' | 'currencyCode'>): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currencyCode }).format(
      Number(money.amount),
    );
  } catch {
    return `${money.amount} ${money.currencyCode}`;
  }
}

/** Sums minor units per currency; a cart in one currency gives one entry. */
export function formatTotals(lines: { minorUnits: number; currencyCode: string; quantity: number }[]): string {
  const totals = new Map<string, number>();
  for (const line of lines) {
    totals.set(line.currencyCode, (totals.get(line.currencyCode) ?? 0) + line.minorUnits * line.quantity);
  }
  return [...totals]
    .map(([currencyCode, minor]) => {
      const digits =
        new Intl.NumberFormat(undefined, { style: 'currency', currency: currencyCode }).resolvedOptions()
          .maximumFractionDigits ?? 2;
      return formatMoney({ amount: (minor / 10 ** digits).toFixed(digits), currencyCode });
    })
    .join(' + ');
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** The first block of a UUID: enough to tell orders apart on screen. */
export function shortId(id: string): string {
  return id.slice(0, 8).toUpperCase();
}
