// The bench catalogue: BENCH-001.. with stock that never runs out. An order
// takes one sku from each half, so its lines are already in lock order (the
// service sorts them too) and the pgbench script can do the same.
export const BENCH_STOCK = 2_000_000_000;
export const BENCH_PRICE_MINOR = 1250;

export function benchSku(n: number): string {
  return `BENCH-${String(n).padStart(3, '0')}`;
}

/** Two distinct skus for one order; `random` in [0, 1). */
export function orderSkus(skuCount: number, random: () => number = Math.random): [string, string] {
  const half = Math.floor(skuCount / 2);
  const first = 1 + Math.floor(random() * half);
  const second = half + 1 + Math.floor(random() * (skuCount - half));
  return [benchSku(first), benchSku(second)];
}
