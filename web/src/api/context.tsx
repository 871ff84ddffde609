// Hands the API (client, session, live connection) to the components.
import { createContext, useContext, useEffect, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { Provider } from 'urql';
import type { Api } from './client';
import type { ConnectionSnapshot } from './live';
import type { Session } from './session';

const ApiContext = createContext<Api | null>(null);

export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return (
    <ApiContext.Provider value={api}>
      <Provider value={api.client}>{children}</Provider>
    </ApiContext.Provider>
  );
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

export function useSession(): Session | null {
  const { session } = useApi();
  return useSyncExternalStore(session.subscribe, () => session.current());
}

export function useConnection(): ConnectionSnapshot {
  const { live } = useApi();
  return useSyncExternalStore(live.subscribeToState, live.getSnapshot);
}

/**
 * Calls `refetch` each time the live connection (re)connects after the page
 * mounted. Pages call it only while their subscription has no cursor yet:
 * once it has one, a reconnect replays what was missed instead (live.ts).
 */
export function useRefetchOnConnect(refetch: () => void): void {
  const { generation } = useConnection();
  const latest = useRef(refetch);
  useEffect(() => {
    latest.current = refetch;
  });
  // The page's first query already ran; refetch only on connections made after it mounted.
  const seen = useRef(generation);
  useEffect(() => {
    if (generation === seen.current) return;
    seen.current = generation;
    latest.current();
  }, [generation]);
}
