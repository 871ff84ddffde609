// Where a webhook may be sent. Partner URLs are chosen by admins, but a URL
// (or a DNS name that later changes) pointing inside our own network would let
// the service be used to reach internal systems (SSRF). So a target must
// resolve only to public unicast addresses, checked at registration and
// again at every delivery, and the connection is made to the very address
// that was checked (no second DNS lookup an attacker could change in between).
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export const MAX_WEBHOOK_URL_LENGTH = 2000;

/** A target the service refuses to call; `reason` is safe to show an admin. */
export class RefusedTargetError extends Error {
  readonly code = 'REFUSED_TARGET';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RefusedTargetError';
  }
}

/** How a host name becomes addresses; the DNS by default (tests may hand their own). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** Parses a webhook URL: http(s), no credentials, no fragment. Throws RefusedTargetError with the reason. */
export function parseWebhookUrl(raw: string): URL {
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new RefusedTargetError(`must be 1 to ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new RefusedTargetError('is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RefusedTargetError('must be http or https');
  if (url.username || url.password) throw new RefusedTargetError('must not contain credentials');
  if (url.hash) throw new RefusedTargetError('must not contain a fragment');
  if (!url.hostname) throw new RefusedTargetError('must name a host');
  return url;
}

/**
 * Public unicast only: refuses private (RFC 1918), loopback, link-local (and
 * so cloud metadata at 169.254.169.254), unique-local, CGNAT, multicast,
 * reserved and documentation ranges, and IPv6 forms that embed an IPv4
 * address (mapped addresses are judged as the IPv4 address they carry).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

export interface ResolvedTarget {
  url: URL;
  /** The address to connect to; null when private targets are allowed and none was checked. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the URL's host and checks every address it resolves to; with
 * `allowPrivate` any address goes. The caller connects to `address`.
 */
export async function resolveTarget(
  url: URL,
  options: { allowPrivate: boolean; resolver?: Resolver },
): Promise<ResolvedTarget> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: { address: string; family: number }[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolver ?? systemResolver)(host);
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
      throw new RefusedTargetError(`host ${host} could not be resolved (${code})`);
    }
    if (addresses.length === 0) throw new RefusedTargetError(`host ${host} could not be resolved`);
  }
  if (!options.allowPrivate) {
    // One private address is enough to refuse: which one a client connects to is not ours to choose.
    const inside = addresses.find((a) => !isPublicAddress(a.address));
    if (inside) {
      throw new RefusedTargetError(
        `${host === inside.address ? 'address' : `host ${host} resolves to`} ${inside.address}, which is not a public address`,
      );
    }
  }
  const chosen = addresses[0] as { address: string; family: number };
  return { url, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}
