import type { Orm } from '../db/orm.js';
import { Product } from './product.entity.js';

export const DEMO_PRODUCTS: ReadonlyArray<Omit<Product, never>> = [
  { sku: 'TSHIRT-BLK-M', name: 'T-shirt, black, M', priceMinor: 1999, currency: 'EUR', stock: 500 },
  { sku: 'MUG-LOGO', name: 'Mug with logo', priceMinor: 1250, currency: 'EUR', stock: 300 },
  { sku: 'HOODIE-GRY-L', name: 'Hoodie, grey, L', priceMinor: 4999, currency: 'EUR', stock: 200 },
  { sku: 'STICKER-PACK', name: 'Sticker pack', priceMinor: 399, currency: 'EUR', stock: 1000 },
  { sku: 'CAP-NAVY', name: 'Cap, navy', priceMinor: 2450, currency: 'EUR', stock: 150 },
  { sku: 'POSTER-A2', name: 'Poster A2', priceMinor: 1500, currency: 'EUR', stock: 50 },
];

export class CatalogService {
  constructor(private readonly orm: Orm) {}

  async listProducts(): Promise<Product[]> {
    return this.orm.em.fork().find(Product, {}, { orderBy: { sku: 'asc' } });
  }

  /** Seeds the demo catalogue only when the catalogue is empty; returns how many were added. */
  async seedDemoProducts(): Promise<number> {
    const em = this.orm.em.fork();
    if ((await em.count(Product, {})) > 0) return 0;
    await em.execute(
      `insert into products (sku, name, price_minor, currency, stock) values ${DEMO_PRODUCTS.map(() => '(?, ?, ?, ?, ?)').join(', ')}
       on conflict (sku) do nothing`,
      DEMO_PRODUCTS.flatMap((p) => [p.sku, p.name, p.priceMinor, p.currency, p.stock]),
    );
    return DEMO_PRODUCTS.length;
  }
}
