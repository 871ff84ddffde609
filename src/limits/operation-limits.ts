// What one operation may cost, the same over HTTP and the websocket. Every
// bound is named here once; a refusal is QUERY_TOO_COMPLEX with
// `extensions.limit` (which bound), `maximum` and `actual`.
//
// Cost, after Shopify's model: a scalar or enum field costs 0, an object
// field 1 plus its selections, a field with a `first` argument (a page)
// 2 plus `first` times its selections. One file, longer than most: the
// bounds, the validation rules that apply them and the price belong together.
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isCompositeType,
  isLeafType,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { QueryTooComplexError, type OperationLimitName } from '../errors.js';
import { MAX_PAGE_SIZE } from '../pagination.js';

export const OPERATION_LIMITS = {
  /** Nested field levels: `{ order { customer { id } } }` is 3. */
  maxDepth: 12,
  /** Aliased fields in an operation, fragments expanded. */
  maxAliases: 30,
  /** Cost of one operation (see above). */
  maxCost: 1000,
  /** Operations in one batched HTTP request. */
  maxBatch: 10,
  /** Operations running at once on one websocket (subscriptions mostly). */
  maxOperationsPerSocket: 20,
  /** Largest websocket message, in bytes. */
  maxSocketPayloadBytes: 64 * 1024,
} as const;

export type OperationLimits = typeof OPERATION_LIMITS;

/** The error for a refusal: a GraphQLError carrying the domain error (format-error.ts maps it). */
export function limitError(limit: OperationLimitName, maximum: number, actual: number): GraphQLError {
  const original = new QueryTooComplexError(limit, maximum, actual);
  return new GraphQLError(original.message, {
    originalError: original,
    extensions: { code: original.code, http: { status: 400 } },
  });
}

interface Shape {
  depth: number;
  aliases: number;
  /** Depth of the deepest introspection (`__schema`, `__type`) subtree, held to its own bound. */
  introspectionDepth?: number;
}

/**
 * Tools' standard introspection query (GraphiQL's, codegen's) nests `ofType`
 * past the ordinary depth limit; it is measured apart and held to this bound.
 * Introspection itself is on or off by configuration.
 */
export const MAX_INTROSPECTION_DEPTH = 20;
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** Depth and alias count of each operation in a document, fragments expanded (and counted once each). */
export function measureOperations(document: DocumentNode): Map<string | undefined, Shape> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const fragmentShapes = new Map<string, Shape>();
  const visiting = new Set<string>();

  const measure = (selectionSet: SelectionSetNode): Shape => {
    let depth = 0;
    let aliases = 0;
    let introspectionDepth = 0;
    for (const selection of selectionSet.selections) {
      let inner: Shape;
      if (selection.kind === Kind.FIELD) {
        const sub = selection.selectionSet ? measure(selection.selectionSet) : { depth: 0, aliases: 0 };
        if (INTROSPECTION_ROOTS.has(selection.name.value)) {
          introspectionDepth = Math.max(introspectionDepth, sub.depth + 1, sub.introspectionDepth ?? 0);
          continue;
        }
        inner = {
          depth: sub.depth + 1,
          aliases: sub.aliases + (selection.alias ? 1 : 0),
          introspectionDepth: sub.introspectionDepth ?? 0,
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measure(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Unknown or cyclic fragments are the standard rules' to report.
        if (!fragment || visiting.has(name)) continue;
        let shape = fragmentShapes.get(name);
        if (!shape) {
          visiting.add(name);
          shape = measure(fragment.selectionSet);
          visiting.delete(name);
          fragmentShapes.set(name, shape);
        }
        inner = shape;
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
      introspectionDepth = Math.max(introspectionDepth, inner.introspectionDepth ?? 0);
    }
    return { depth, aliases, introspectionDepth };
  };

  const shapes = new Map<string | undefined, Shape>();
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) shapes.set(def.name?.value, measure(def.selectionSet));
  }
  return shapes;
}

/** Validation rules for depth and aliases: they need no variables, so they run with the standard rules. */
export function shapeRules(limits: OperationLimits = OPERATION_LIMITS): ValidationRule[] {
  return [
    (context: ValidationContext): ASTVisitor => ({
      Document(node) {
        for (const shape of measureOperations(node).values()) {
          if (shape.depth > limits.maxDepth) {
            context.reportError(limitError('depth', limits.maxDepth, shape.depth));
            return;
          }
          if ((shape.introspectionDepth ?? 0) > MAX_INTROSPECTION_DEPTH) {
            context.reportError(limitError('depth', MAX_INTROSPECTION_DEPTH, shape.introspectionDepth ?? 0));
            return;
          }
          if (shape.aliases > limits.maxAliases) {
            context.reportError(limitError('aliases', limits.maxAliases, shape.aliases));
            return;
          }
        }
      },
    }),
  ];
}

/**
 * The cost of the selected operation (see the top of this file). Type
 * conditions are all counted, so a fragment on an abstract type is priced
 * as if every branch ran: an upper bound, like the other limits.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
): number {
  const known = fixedCosts
    .get(schema)
    ?.get(document)
    ?.get(operationName ?? '');
  if (known !== undefined) return known;
  const { cost, fixed } = priceOperation(schema, document, variables, operationName);
  if (fixed) {
    let byDocument = fixedCosts.get(schema);
    if (!byDocument) fixedCosts.set(schema, (byDocument = new WeakMap()));
    let byOperation = byDocument.get(document);
    if (!byOperation) byDocument.set(document, (byOperation = new Map()));
    byOperation.set(operationName ?? '', cost);
  }
  return cost;
}

// Apollo hands the same parsed document to every request that sends the same text. Where no variable
// reaches a page size, the price cannot change between requests: it is worked out once per operation.
const fixedCosts = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();

/** Whether a literal holds a variable anywhere (`$n`, `[$n]`, `{ first: $n }`). */
function holdsVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(holdsVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => holdsVariable(f.value));
  return false;
}

/** The price, and whether it holds for any variables (`fixed`). */
function priceOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
): { cost: number; fixed: boolean } {
  let fixed = true;
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return { cost: 0, fixed };
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return { cost: 0, fixed };
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  // Bad variables fail in execution with a clear error; price with none rather than fail here.
  const variableValues = coerced.coerced ?? {};
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

  const selectionCost = (parent: GraphQLCompositeType, selectionSet: SelectionSetNode, seen: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(parent, selection, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        if (type && isCompositeType(type)) total += selectionCost(type, selection.selectionSet, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (!type || !isCompositeType(type)) continue;
        total += selectionCost(type, fragment.selectionSet, new Set(seen).add(fragment.name.value));
      }
    }
    return total;
  };

  const fieldCost = (parent: GraphQLCompositeType, node: FieldNode, seen: Set<string>): number => {
    if (!('getFields' in parent)) return 0; // a union: only __typename is selectable on it directly
    const field = parent.getFields()[node.name.value];
    if (!field) return 0; // __typename and introspection: free
    const named = getNamedType(field.type);
    const children = node.selectionSet && isCompositeType(named) ? selectionCost(named, node.selectionSet, seen) : 0;
    // A page's size (or, when a variable is bad, the full page it is priced at) may come from variables.
    if (field.args.some((a) => a.name === 'first') && node.arguments?.some((a) => holdsVariable(a.value))) {
      fixed = false;
    }
    // Variables are not yet coerced here: a bad value is refused as BAD_USER_INPUT when the operation
    // executes, so price such a field as a full page rather than fail the request in the wrong place.
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, variableValues);
    } catch {
      args = field.args.some((a) => a.name === 'first') ? { first: MAX_PAGE_SIZE } : {};
    }
    if (typeof args.first === 'number') return 2 + Math.max(0, args.first) * children;
    return (isLeafType(named) ? 0 : 1) + children;
  };

  const cost = selectionCost(rootType, operation.selectionSet, new Set());
  return { cost, fixed };
}

/** The operation's cost; throws the refusal when it is over budget. Needs a valid document. */
export function assertCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: OperationLimits = OPERATION_LIMITS,
): number {
  const cost = operationCost(schema, document, variables, operationName);
  if (cost > limits.maxCost) throw limitError('complexity', limits.maxCost, cost);
  return cost;
}

/** Reported in `extensions.cost`; the budget is per operation, so what remains is the budget less this cost. */
export function costReport(requestedQueryCost: number, limits: OperationLimits = OPERATION_LIMITS) {
  return {
    requestedQueryCost,
    throttleStatus: {
      maximumAvailable: limits.maxCost,
      currentlyAvailable: Math.max(0, limits.maxCost - requestedQueryCost),
    },
  };
}
