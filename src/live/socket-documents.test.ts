import { buildSchema, specifiedRules } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SocketDocuments } from './socket-documents.js';

const schema = buildSchema(`
  type Query { ok: String }
  type Subscription { ticks(every: Int): Int }
`);
const QUERY = 'subscription Ticks($every: Int) { ticks(every: $every) }';

describe('SocketDocuments', () => {
  it('parses and validates a text once: every sender of it gets the same document and the same text', () => {
    const documents = new SocketDocuments(schema, specifiedRules);
    const first = documents.check(QUERY);
    // Another copy of the same text, as another socket's message would bring.
    const again = documents.check([...QUERY].join(''));
    expect(first.errors).toBeUndefined();
    expect(again.errors).toBeUndefined();
    if (first.errors || again.errors) return;
    expect(again.document).toBe(first.document);
    expect(again.query).toBe(first.query);
    expect(documents.size).toBe(1);
  });

  it('gives a parse error the code it gets over HTTP, and keeps nothing of it', () => {
    const documents = new SocketDocuments(schema, specifiedRules);
    const checked = documents.check('subscription {');
    expect(checked.errors?.map((e) => e.extensions.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(documents.size).toBe(0);
  });

  it('gives a validation error the code it gets over HTTP, and keeps nothing of it', () => {
    const documents = new SocketDocuments(schema, specifiedRules);
    const checked = documents.check('subscription { nope }');
    expect(checked.errors?.map((e) => e.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(checked.errors?.[0]?.message).toMatch(/nope/);
    expect(documents.size).toBe(0);
  });
});
