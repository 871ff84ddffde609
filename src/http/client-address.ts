// Who is calling: the socket's address, or, behind proxies named by
// TRUST_PROXY, the address those proxies put in X-Forwarded-For. One rule
// for Express (`trust proxy`) and for websocket upgrades, so per-IP limits
// and log lines name the same client whichever way it came in.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config.js';

export type TrustFunction = (address: string, hop: number) => boolean;

export function compileTrust(setting: TrustProxy): TrustFunction {
  if (setting === false) return () => false;
  if (typeof setting === 'number') {
    const hops = setting;
    // Hop 0 is the socket itself; the next `hops` entries from the right of X-Forwarded-For are our proxies.
    return (_address, hop) => hop < hops;
  }
  return proxyaddr.compile(setting);
}

/** The client's address as the trusted proxies report it; the socket's own when none is trusted. */
export function clientAddress(request: IncomingMessage, trust: TrustFunction): string {
  if (!request.socket.remoteAddress) return 'unknown';
  return proxyaddr(request, trust);
}
