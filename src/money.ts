// Money inside the service is integer minor units plus an ISO 4217 code; it
// becomes a decimal string only at the API edge (toMoney).

/** Currencies whose minor unit is not 1/100. Everything else has two decimals. */
const EXPONENTS: Record<string, number> = {
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
};

export const MAX_MINOR_UNITS = 2_147_483_647; // GraphQL Int is 32-bit

export function currencyExponent(currencyCode: string): number {
  return EXPONENTS[currencyCode] ?? 2;
}

export function isCurrencyCode(value: string): boolean {
  return /^[A-Z]{3}$/.test(value);
}

/** 1250 EUR -> "12.50"; -5 EUR -> "-0.05"; 500 JPY -> "500". */
export function formatMinorUnits(minorUnits: number, currencyCode: string): string {
  if (!Number.isSafeInteger(minorUnits)) throw new RangeError(`not an integer amount: ${minorUnits}`);
  const exponent = currencyExponent(currencyCode);
  const sign = minorUnits < 0 ? '-' : '';
  const digits = Math.abs(minorUnits).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

export interface Money {
  amount: string;
  currencyCode: string;
  minorUnits: number;
}

export function toMoney(minorUnits: number, currencyCode: string): Money {
  return { amount: formatMinorUnits(minorUnits, currencyCode), currencyCode, minorUnits };
}
