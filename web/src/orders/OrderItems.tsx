// The lines of an order as priced when it was placed. Each line's own status
// (SPEC section 10) becomes a column here when the schema has it.
import type { OrderDetailFragment } from '../generated/graphql';
import { formatMoney } from '../format';

export function OrderItems({ order }: { order: Pick<OrderDetailFragment, 'items' | 'total'> }) {
  return (
    <table className="items">
      <caption>Items</caption>
      <thead>
        <tr>
          <th scope="col">Product</th>
          <th scope="col" className="num">
            Quantity
          </th>
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
          <tr key={item.sku} data-sku={item.sku}>
            <th scope="row">
              {item.name} <span className="sku">{item.sku}</span>
            </th>
            <td className="num">{item.quantity}</td>
            <td className="num">{formatMoney(item.unitPrice)}</td>
            <td className="num">{formatMoney(item.lineTotal)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td className="num" data-testid="order-total">
            {formatMoney(order.total)}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}
