// The lines of an order as priced when it was placed, and where their units
// are now (SPEC section 10): ordered, shipped, cancelled, and the line's own
// status; below them the total and, once units are cancelled after payment,
// the refund due.
import type { OrderDetailFragment } from '../generated/graphql';
import { formatMoney } from '../format';
import { itemStatusLabel } from './lines';

export function OrderItems({ order }: { order: Pick<OrderDetailFragment, 'items' | 'total' | 'refundDue'> }) {
  return (
    <div className="table-scroll">
      <table className="items">
        <caption>Items</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col" className="num">
              Ordered
            </th>
            <th scope="col" className="num">
              Shipped
            </th>
            <th scope="col" className="num">
              Cancelled
            </th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Unit price
            </th>
            <th scope="col" className="num">
              Line total
            </th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr key={item.sku} data-sku={item.sku} data-item-status={item.status}>
              <th scope="row">
                {item.name} <span className="sku">{item.sku}</span>
              </th>
              <td className="num" data-units="ordered" data-label="Ordered">
                {item.quantity}
              </td>
              <td className="num" data-units="shipped" data-label="Shipped">
                {item.quantityShipped}
              </td>
              <td className="num" data-units="cancelled" data-label="Cancelled">
                {item.quantityCancelled}
              </td>
              <td data-label="Status">{itemStatusLabel(item.status)}</td>
              <td className="num" data-label="Unit price">
                {formatMoney(item.unitPrice)}
              </td>
              <td className="num" data-label="Line total">
                {formatMoney(item.lineTotal)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={6}>
              Total
            </th>
            <td className="num" data-testid="order-total">
              {formatMoney(order.total)}
            </td>
          </tr>
          {order.refundDue.minorUnits > 0 ? (
            <tr className="refund">
              <th scope="row" colSpan={6}>
                Refund due for cancelled items
              </th>
              <td className="num" data-testid="refund-due">
                {formatMoney(order.refundDue)}
              </td>
            </tr>
          ) : null}
        </tfoot>
      </table>
    </div>
  );
}
