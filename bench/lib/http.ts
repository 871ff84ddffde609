// The load processes' HTTP client: node:http over a keep-alive agent, which
// costs the load process far less CPU per request than fetch.
import { request, type Agent } from 'node:http';
import { CREATE_ORDER_MUTATION } from './queries.js';
import { orderSkus } from './skus.js';

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export function send(agent: Agent, url: URL, call: Call): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: call.method,
        path: call.path,
        headers: call.body ? { ...call.headers, 'content-length': Buffer.byteLength(call.body) } : call.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });
}

/** A GraphQL POST as the holder of `token`. */
export function graphqlCall(url: URL, token: string, body: unknown): Call {
  return {
    method: 'POST',
    path: url.pathname,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  };
}

/** createOrder for two items, one sku from each half of the bench catalogue. */
export function createOrderCall(
  url: URL,
  token: string,
  skuCount: number,
  shippingAddress = '1 Benchmark Road, Testville',
): Call {
  const [a, b] = orderSkus(skuCount);
  return graphqlCall(url, token, {
    query: CREATE_ORDER_MUTATION,
    variables: {
      input: {
        items: [
          { sku: a, quantity: 1 },
          { sku: b, quantity: 1 },
        ],
        shippingAddress,
      },
    },
  });
}
