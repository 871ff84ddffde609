import { useEffect } from 'react';
import { Link } from 'wouter';

export function NotFoundPage() {
  useEffect(() => {
    document.title = 'Page not found · Order service';
  }, []);
  return (
    <section className="panel">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at this address. <Link href="/">Go to the catalogue</Link>.
      </p>
    </section>
  );
}
