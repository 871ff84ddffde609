// The cost limits on the HTTP path: an Apollo plugin that prices each
// operation (and reports the price in `extensions.cost`), and a guard on the
// size of a batched request. Depth and aliases run as validation rules.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import { QueryTooComplexError } from '../errors.js';
import { assertCost, costReport, OPERATION_LIMITS, type OperationLimits } from './operation-limits.js';

export function operationCostPlugin(
  schema: GraphQLSchema,
  limits: OperationLimits = OPERATION_LIMITS,
): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      let cost: number | undefined;
      return {
        async didResolveOperation({ document, request, operationName }) {
          cost = assertCost(schema, document, request.variables, operationName, limits);
        },
        async willSendResponse({ response }) {
          if (cost === undefined || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: costReport(cost, limits) };
        },
      };
    },
  };
}

/** Before Apollo: a batch over the bound is refused whole, with nothing run. */
export function batchSizeGuard(limits: OperationLimits = OPERATION_LIMITS): RequestHandler {
  return (req, res, next) => {
    const body: unknown = req.body;
    if (!Array.isArray(body) || body.length <= limits.maxBatch) return next();
    const error = new QueryTooComplexError('batch', limits.maxBatch, body.length);
    res.status(400).json({ errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }] });
  };
}
