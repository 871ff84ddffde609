// The parcels of an order (SPEC section 10), oldest first: carrier, tracking
// number, when each shipped and was delivered, and what is in it. The summary
// line counts units, so "2 of 3 items shipped" is true of a partial order.
import type { OrderDetailFragment } from '../generated/graphql';
import { formatDateTime } from '../format';
import { totalUnits, unitsKept } from './lines';

type Order = Pick<OrderDetailFragment, 'items' | 'shipments' | 'status'>;

export function OrderShipments({ order }: { order: Order }) {
  const names = new Map(order.items.map((item) => [item.sku, item.name]));
  const kept = totalUnits(order.items, unitsKept);
  const shipped = totalUnits(order.items, (line) => line.quantityShipped);
  return (
    <section aria-labelledby="shipments-heading" className="shipments">
      <h2 id="shipments-heading">Shipments</h2>
      <p data-testid="shipped-summary">
        {kept === 0
          ? 'Nothing left to ship: every item was cancelled.'
          : `${shipped} of ${kept} ${kept === 1 ? 'item' : 'items'} shipped.`}
      </p>
      {order.shipments.length === 0 ? null : (
        <ol className="parcels">
          {order.shipments.map((shipment, index) => (
            <li key={shipment.id} data-shipment-id={shipment.id} data-shipment-status={shipment.status}>
              <article aria-labelledby={`parcel-${shipment.id}`} className="parcel">
                <h3 id={`parcel-${shipment.id}`}>
                  Parcel {index + 1}: {shipment.status === 'DELIVERED' ? 'delivered' : 'on its way'}
                </h3>
                <dl>
                  <div>
                    <dt>Carrier</dt>
                    <dd>{shipment.carrier ?? 'Not given'}</dd>
                  </div>
                  <div>
                    <dt>Tracking number</dt>
                    <dd className="tracking">{shipment.trackingNumber ?? 'Not given'}</dd>
                  </div>
                  <div>
                    <dt>Shipped</dt>
                    <dd>
                      <time dateTime={shipment.shippedAt}>{formatDateTime(shipment.shippedAt)}</time>
                    </dd>
                  </div>
                  <div>
                    <dt>Delivered</dt>
                    <dd>
                      {shipment.deliveredAt ? (
                        <time dateTime={shipment.deliveredAt}>{formatDateTime(shipment.deliveredAt)}</time>
                      ) : (
                        'Not yet'
                      )}
                    </dd>
                  </div>
                </dl>
                <ul className="parcel-lines">
                  {shipment.lines.map((line) => (
                    <li key={line.sku} data-sku={line.sku}>
                      {line.quantity} × {names.get(line.sku) ?? line.sku}
                    </li>
                  ))}
                </ul>
              </article>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
