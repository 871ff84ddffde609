import { getIntrospectionQuery, parse, validate } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from '../graphql/schema.js';
import { MAX_INTROSPECTION_DEPTH, measureOperations, operationCost, shapeRules } from './operation-limits.js';

let schema: Awaited<ReturnType<typeof createSchema>>;
beforeAll(async () => {
  schema = await createSchema();
});

describe('operation shape', () => {
  it('counts depth in field levels, through fragments and inline fragments', () => {
    const shapes = measureOperations(
      parse('query Q { order(id: "x") { ...F } } fragment F on Order { customer { ... on User { id } } }'),
    );
    expect(shapes.get('Q')).toEqual({ depth: 3, aliases: 0, introspectionDepth: 0 });
  });

  it('counts aliases with fragments expanded each time they are spread', () => {
    const shapes = measureOperations(parse('{ x: me { ...F } y: me { ...F } } fragment F on User { a: id b: email }'));
    expect(shapes.get(undefined)).toEqual({ depth: 2, aliases: 6, introspectionDepth: 0 });
  });

  it('survives a cyclic fragment (the standard rules report it)', () => {
    const shapes = measureOperations(parse('{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }'));
    expect(shapes.get(undefined)).toEqual({ depth: 1, aliases: 0, introspectionDepth: 0 });
  });
});

describe('introspection', () => {
  it('lets the standard introspection query through the depth limit (GraphiQL and codegen send it)', () => {
    const document = parse(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    const [shape] = measureOperations(document).values();
    expect(shape!.depth).toBe(0);
    expect(shape!.introspectionDepth).toBeGreaterThan(12);
    expect(validate(schema, document, shapeRules())).toEqual([]);
  });

  it('still bounds a hand-made deep introspection query', () => {
    const nested = (n: number): string => (n === 0 ? 'name' : `ofType { ${nested(n - 1)} }`);
    const document = parse(`{ __type(name: "Order") { ${nested(MAX_INTROSPECTION_DEPTH)} } }`);
    expect(validate(schema, document, shapeRules()).map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COMPLEX']);
  });
});

describe('operation cost', () => {
  const cost = (query: string, variables?: Record<string, unknown>) =>
    operationCost(schema, parse(query), variables, undefined);

  it('prices scalars at 0 and objects at 1', () => {
    expect(cost('{ me { id email } }')).toBe(1);
    expect(cost('{ order(id: "x") { id total { amount } customer { id } } }')).toBe(3);
  });

  it('prices a page by its first argument, from variables or the default', () => {
    expect(cost('{ orders(first: 10) { edges { node { id } } } }')).toBe(2 + 10 * 2);
    expect(cost('query($n: Int) { orders(first: $n) { edges { node { id } } } }', { n: 50 })).toBe(2 + 50 * 2);
    expect(cost('{ orders { totalCount } }')).toBe(2); // first defaults to 20, times nothing that costs
    expect(cost('{ orders { edges { node { id } } } }')).toBe(2 + 20 * 2);
  });

  it('prices one parsed document again for each request’s page size, and the same without variables', () => {
    const paged = parse('query($n: Int) { orders(first: $n) { edges { node { id } } } }');
    expect(operationCost(schema, paged, { n: 5 }, undefined)).toBe(2 + 5 * 2);
    expect(operationCost(schema, paged, { n: 50 }, undefined)).toBe(2 + 50 * 2);
    const nested = parse('query($n: Int) { me { id } orders(filter: { status: PAID }, first: $n) { totalCount } }');
    expect(operationCost(schema, nested, { n: 1 }, undefined)).toBe(1 + 2);
    const order = parse('query($id: ID!) { order(id: $id) { id total { amount } } }');
    expect(operationCost(schema, order, { id: 'a' }, undefined)).toBe(2);
    expect(operationCost(schema, order, { id: 'b' }, undefined)).toBe(2);
  });

  it('counts a fragment wherever it is spread, and __typename for free', () => {
    expect(cost('{ a: me { ...U } b: me { ...U } } fragment U on User { id __typename }')).toBe(2);
  });
});
