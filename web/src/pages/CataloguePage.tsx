// The catalogue: what the shop sells, at what price, and how many are left.
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { explainError } from '../api/errors';
import { cart, useCart } from '../cart/cart';
import { ErrorMessage } from '../components/ErrorMessage';
import { useAnnounce } from '../components/Announcer';
import { CatalogueDocument } from '../generated/graphql';
import { formatMoney } from '../format';

export function CataloguePage() {
  const [{ data, error, fetching }] = useQuery({ query: CatalogueDocument, requestPolicy: 'cache-and-network' });
  const { lines } = useCart();
  const announce = useAnnounce();

  useEffect(() => {
    document.title = 'Catalogue · Order service';
  }, []);

  return (
    <section aria-labelledby="catalogue-heading">
      <h1 id="catalogue-heading" tabIndex={-1}>
        Catalogue
      </h1>
      {error && !data ? (
        <ErrorMessage code={explainError(error).code}>{explainError(error).message}</ErrorMessage>
      ) : null}
      {fetching && !data ? <p>Loading the catalogue…</p> : null}
      <ul className="products">
        {data?.products.map((product) => {
          const inCart = lines.find((line) => line.sku === product.sku)?.quantity ?? 0;
          const soldOut = product.stock === 0;
          const atLimit = inCart >= product.stock;
          return (
            <li key={product.sku} className="product" data-sku={product.sku}>
              <h2>{product.name}</h2>
              <p className="price">{formatMoney(product.price)}</p>
              <p className={soldOut ? 'stock stock-out' : 'stock'}>
                {soldOut ? 'Out of stock' : `${product.stock} in stock`}
              </p>
              <button
                type="button"
                disabled={soldOut || atLimit}
                onClick={() => {
                  cart.add(product.sku);
                  announce(`${product.name} added to your cart (${inCart + 1} in cart).`);
                }}
              >
                Add to cart<span className="visually-hidden">: {product.name}</span>
              </button>
              {inCart > 0 ? <p className="in-cart">{inCart} in your cart</p> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
