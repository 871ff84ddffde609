// Starting the compiled service (dist/src/main.js) as a child process with a
// bench environment, and the few GraphQL calls the runner makes itself.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { freePort, startNode, waitForHttp, type BenchContext, type Child } from './infra.js';
import { LOGIN_MUTATION, REGISTER_MUTATION } from './queries.js';

export const BENCH_ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password' };
export const BENCH_JWT_SECRET = 'bench-only-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const NO_LIMIT = '1000000000/1m';

export interface Service {
  child: Child;
  url: string;
  base: string;
  port: number;
}

/** Every limit far above what the load can reach, so the figures measure work, not throttling. */
export function serviceEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    JWT_SECRET: BENCH_JWT_SECRET,
    ACCESS_TOKEN_TTL: '2h',
    BCRYPT_COST: '10',
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    RATE_LIMIT_LOGIN: NO_LIMIT,
    RATE_LIMIT_LOGIN_IP: NO_LIMIT,
    RATE_LIMIT_REGISTER: NO_LIMIT,
    RATE_LIMIT_CREATE_ORDER: NO_LIMIT,
    RATE_LIMIT_DEFAULT: NO_LIMIT,
    ...overrides,
  };
}

export async function startService(
  ctx: BenchContext,
  name: string,
  env: Record<string, string>,
  script = 'dist/src/main.js',
): Promise<Service> {
  const port = await freePort();
  const child = await startNode(ctx, name, join(ctx.repoRoot, script), [], serviceEnv({ PORT: String(port), ...env }), {
    cpuProfile: Boolean(ctx.profileDir),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/healthz`, child);
  return { child, url: `${base}/graphql`, base, port };
}

export interface GraphQLReply<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function graphql<T>(url: string, query: string, variables: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GraphQLReply<T>;
  if (body.errors?.length || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

export interface Account {
  id: string;
  token: string;
}

type AuthReply = { accessToken: string; user: { id: string } };

export async function registerCustomers(url: string, count: number): Promise<Account[]> {
  const accounts: Account[] = [];
  // A few at a time: each one is a bcrypt hash on the service's two cores.
  for (let i = 0; i < count; i += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, count - i) }, async () => {
        const input = { email: `bench-${randomUUID().slice(0, 12)}@example.com`, password: 'bench-password-1' };
        const data = await graphql<{ register: AuthReply }>(url, REGISTER_MUTATION, { input });
        return { id: data.register.user.id, token: data.register.accessToken };
      }),
    );
    accounts.push(...batch);
  }
  return accounts;
}

export async function loginAdmin(url: string): Promise<Account> {
  const data = await graphql<{ login: AuthReply }>(url, LOGIN_MUTATION, { input: BENCH_ADMIN });
  return { id: data.login.user.id, token: data.login.accessToken };
}

/** The service's Prometheus metrics as name{labels} -> value, or null when it has no /metrics. */
export async function scrapeMetrics(base: string): Promise<Map<string, number> | null> {
  try {
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) {
      await res.arrayBuffer();
      return null;
    }
    return parsePrometheus(await res.text());
  } catch {
    return null;
  }
}

export function parsePrometheus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^(\S+?(?:\{.*\})?)\s+(\S+)/.exec(line);
    if (match?.[1] && match[2] !== undefined) values.set(match[1], Number(match[2]));
  }
  return values;
}

/** The sum of every series whose name matches, e.g. all cache-hit counters. */
export function sumMetrics(metrics: Map<string, number>, name: RegExp): number | null {
  let total: number | null = null;
  for (const [key, value] of metrics) {
    const bare = key.replace(/\{.*$/, '');
    if (name.test(bare) && Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}
