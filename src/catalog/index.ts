// What the rest of the service may use of the catalogue and its stock.
export { CatalogResolver } from './catalog.resolver.js';
export { CatalogService } from './catalog.service.js';
export {
  InventoryService,
  type GuardedReservation,
  type GuardedWrites,
  type QuotedLine,
  type StockLine,
} from './inventory.service.js';
export { Product } from './product.entity.js';
