// The cart and checkout. Prices shown here are the catalogue's; the API
// prices the order itself when it is placed.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { useMutation, useQuery } from 'urql';
import { useSession } from '../api/context';
import { explainError, type ExplainedError } from '../api/errors';
import { cart, MAX_QUANTITY, useCart } from '../cart/cart';
import { ErrorMessage } from '../components/ErrorMessage';
import { CatalogueDocument, PlaceOrderDocument } from '../generated/graphql';
import { formatMoney, formatTotals } from '../format';

export function CartPage() {
  const session = useSession();
  const { lines } = useCart();
  const [{ data: catalogue }] = useQuery({ query: CatalogueDocument });
  const [placing, placeOrder] = useMutation(PlaceOrderDocument);
  const [address, setAddress] = useState('');
  const [problem, setProblem] = useState<ExplainedError | null>(null);
  const [waiting, setWaiting] = useCountdown();
  const [, navigate] = useLocation();
  const addressId = useId();
  const submitting = useRef(false);

  useEffect(() => {
    document.title = 'Cart · Order service';
  }, []);

  const products = new Map(catalogue?.products.map((p) => [p.sku, p]));
  const rows = lines.map((line) => ({ ...line, product: products.get(line.sku) }));
  const estimate = formatTotals(
    rows.flatMap((row) => (row.product ? [{ ...row.product.price, quantity: row.quantity }] : [])),
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // A second press while the first is under way sends nothing; a retry later sends the same key.
    if (submitting.current) return;
    submitting.current = true;
    setProblem(null);
    const idempotencyKey = cart.checkoutKey();
    const result = await placeOrder({
      input: {
        items: lines.map(({ sku, quantity }) => ({ sku, quantity })),
        shippingAddress: address.trim(),
        idempotencyKey,
      },
    }).finally(() => {
      submitting.current = false;
    });
    if (result.data) {
      cart.clear();
      navigate(`/orders/${result.data.createOrder.id}`);
      return;
    }
    if (result.error) {
      const explained = explainError(result.error, { productName: (sku) => products.get(sku)?.name });
      setProblem(explained);
      if (explained.retryAfter) setWaiting(explained.retryAfter);
    }
  };

  if (lines.length === 0) {
    return (
      <section className="panel">
        <h1 tabIndex={-1}>Your cart</h1>
        <p>
          Your cart is empty. <Link href="/">Browse the catalogue</Link>.
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="cart-heading">
      <h1 id="cart-heading" tabIndex={-1}>
        Your cart
      </h1>
      <table className="cart">
        <caption className="visually-hidden">Products in your cart</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const name = row.product?.name ?? row.sku;
            return (
              <tr key={row.sku} data-sku={row.sku}>
                <th scope="row">{name}</th>
                <td>{row.product ? formatMoney(row.product.price) : '—'}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`qty-${row.sku}`}>
                    Quantity of {name}
                  </label>
                  <input
                    id={`qty-${row.sku}`}
                    className="quantity"
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={MAX_QUANTITY}
                    value={row.quantity}
                    onChange={(e) => cart.setQuantity(row.sku, Number(e.target.value))}
                  />
                </td>
                <td>
                  <button type="button" className="link-button" onClick={() => cart.remove(row.sku)}>
                    Remove<span className="visually-hidden"> {name}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="estimate">
        Estimated total: <strong>{estimate}</strong>
      </p>
      {session ? (
        <form onSubmit={submit} className="checkout">
          <div className="field">
            <label htmlFor={addressId}>Shipping address</label>
            <textarea
              id={addressId}
              required
              rows={3}
              autoComplete="shipping street-address"
              value={address}
              onChange={(e) => setAddress(e.target.value)}
            />
          </div>
          {problem ? (
            <ErrorMessage code={problem.code}>
              {problem.message}
              {waiting > 0 ? ` (${waiting} s)` : null}
            </ErrorMessage>
          ) : null}
          <button type="submit" className="primary" disabled={placing.fetching || waiting > 0}>
            {placing.fetching ? 'Placing your order…' : 'Place order'}
          </button>
        </form>
      ) : (
        <p className="notice">
          <Link href="/signin?next=%2Fcart">Sign in</Link> or{' '}
          <Link href="/register?next=%2Fcart">create an account</Link> to place your order.
        </p>
      )}
    </section>
  );
}

/** Seconds left before the API takes another order from this shopper (RATE_LIMITED), counting down. */
function useCountdown(): [number, (seconds: number) => void] {
  const [seconds, setSeconds] = useState(0);
  const running = seconds > 0;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setSeconds((n) => Math.max(0, n - 1)), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return [seconds, setSeconds];
}
