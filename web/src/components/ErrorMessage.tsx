import type { ReactNode } from 'react';

/** An error the person must notice: read out at once by screen readers. */
export function ErrorMessage({ children, code }: { children: ReactNode; code?: string }) {
  return (
    <p className="error" role="alert" data-error-code={code}>
      {children}
    </p>
  );
}
