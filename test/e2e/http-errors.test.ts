// Every HTTP error on /graphql is GraphQL JSON with the status that says what
// was wrong (SPEC section 13), never Express's HTML page with a stack trace,
// with the playground on (development) and off (production) alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

const modes: { name: string; env: Record<string, string> }[] = [
  { name: 'development, playground on', env: { GRAPHQL_PLAYGROUND: 'true' } },
  { name: 'production', env: { NODE_ENV: 'production', GRAPHQL_PLAYGROUND: 'false' } },
];

interface Answer {
  status: number;
  contentType: string;
  body: string;
  allow: string | null;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: await response.text(),
    allow: response.headers.get('allow'),
  };
}

/** A GraphQL error document: `errors` with a message and a code, nothing else, no HTML, no paths, no stack. */
function expectGraphQLError(answer: Answer, status: number): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.contentType).toMatch(/^application\/(graphql-response\+)?json/);
  const body = JSON.parse(answer.body) as { errors: { message: string; extensions: { code: string } }[] };
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0]?.message).toEqual(expect.any(String));
  expect(body.errors[0]?.extensions.code).toEqual(expect.any(String));
  expect(answer.body).not.toMatch(/<html|<pre|at \w+ \(|node_modules|\/work\//i);
}

describe.each(modes)('HTTP errors on /graphql, $name', ({ env }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(env);
  });
  afterAll(async () => {
    await t?.stop();
  });
  const post = (body: string, contentType = 'application/json') =>
    send(t.app.url, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers invalid JSON with 400', async () => {
    expectGraphQLError(await post('{"query": "{ products { sku } }"'), 400);
  });

  it('answers a JSON string, number or null as the body with 400', async () => {
    for (const body of ['"{ products { sku } }"', '42', 'null', 'true']) {
      expectGraphQLError(await post(body), 400);
    }
  });

  it('answers other methods with 405 and Allow', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const answer = await send(t.app.url, {
        method,
        headers: { 'content-type': 'application/json', accept: 'text/html' },
        body: '{}',
      });
      expectGraphQLError(answer, 405);
      expect(answer.allow).toBe('GET, POST');
    }
  });

  it('answers a body over the limit with 413', async () => {
    const query = `{ products { sku } } #${'x'.repeat(2 * 1024 * 1024)}`;
    expectGraphQLError(await post(JSON.stringify({ query })), 413);
  });

  it('answers another content type or charset with 415', async () => {
    const body = JSON.stringify({ query: '{ products { sku } }' });
    expectGraphQLError(await post(body, 'text/plain'), 415);
    expectGraphQLError(await post(body, 'application/x-www-form-urlencoded'), 415);
    expectGraphQLError(await post(body, 'application/json; charset=latin1'), 415);
    // UTF-8, said or not, is served.
    const fine = await post(body, 'application/json; charset=utf-8');
    expect(fine.status).toBe(200);
  });
});
