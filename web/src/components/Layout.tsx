// Landmarks (banner, navigation, main), a skip link, and focus moved to the
// new page's heading after each navigation so keyboard and screen-reader
// users start where the content starts.
import { useEffect, useRef, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useApi, useSession } from '../api/context';
import { cart, useCart } from '../cart/cart';

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const { session: store } = useApi();
  const { lines } = useCart();
  const [location, navigate] = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const items = lines.reduce((n, line) => n + line.quantity, 0);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h1');
    (heading ?? main.current)?.focus();
  }, [location]);

  const signOut = () => {
    store.signOut();
    cart.clear();
    navigate('/');
  };

  const current = (href: string) => (location === href ? 'page' : undefined);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link href="/" className="brand">
          Order service
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/" aria-current={current('/')}>
                Catalogue
              </Link>
            </li>
            <li>
              <Link href="/cart" aria-current={current('/cart')}>
                Cart{items > 0 ? ` (${items})` : ''}
              </Link>
            </li>
            {session ? (
              <li>
                <Link href="/orders" aria-current={current('/orders')}>
                  My orders
                </Link>
              </li>
            ) : null}
            {session?.user.role === 'ADMIN' ? (
              <li>
                <Link href="/staff" aria-current={current('/staff')}>
                  Staff board
                </Link>
              </li>
            ) : null}
            {session ? (
              <li>
                <button type="button" className="link-button" onClick={signOut}>
                  Sign out <span className="visually-hidden">{session.user.email}</span>
                </button>
              </li>
            ) : (
              <li>
                <Link href="/signin" aria-current={current('/signin')}>
                  Sign in
                </Link>
              </li>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
