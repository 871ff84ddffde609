// Whether live updates are flowing, in words (colour is never the only cue).
import { useConnection } from '../api/context';
import type { ConnectionState } from '../api/live';

const WORDS: Record<ConnectionState, { label: string; hint?: string }> = {
  idle: { label: 'Live updates off' },
  connecting: { label: 'Connecting to live updates…' },
  connected: { label: 'Live: changes appear as they happen' },
  reconnecting: {
    label: 'Reconnecting…',
    hint: 'Changes made meanwhile will show as soon as the connection is back.',
  },
};

export function ConnectionStatus() {
  const { state } = useConnection();
  const words = WORDS[state];
  return (
    <p className={`connection connection-${state}`} role="status" data-connection={state}>
      <span className="connection-dot" aria-hidden="true" />
      {words.label}
      {words.hint ? <span className="connection-hint"> {words.hint}</span> : null}
    </p>
  );
}
