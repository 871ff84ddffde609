// Pages that need an account (or a staff one) say so instead of failing.
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useSession } from '../api/context';

export function RequireSession({ staff = false, children }: { staff?: boolean; children: ReactNode }) {
  const session = useSession();
  const [location] = useLocation();
  if (!session) {
    return (
      <section className="panel">
        <h1 tabIndex={-1}>Please sign in</h1>
        <p>
          <Link href={`/signin?next=${encodeURIComponent(location)}`}>Sign in</Link> or{' '}
          <Link href={`/register?next=${encodeURIComponent(location)}`}>create an account</Link> to continue.
        </p>
      </section>
    );
  }
  if (staff && session.user.role !== 'ADMIN') {
    return (
      <section className="panel">
        <h1 tabIndex={-1}>Staff only</h1>
        <p>This page is for shop staff. You are signed in as {session.user.email}.</p>
      </section>
    );
  }
  return <>{children}</>;
}
