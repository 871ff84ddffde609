// An Apollo plugin that times each operation and counts the errors clients
// get, by the codes format-error gave them; it also tells the access log which
// operation a request ran.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Metrics } from './metrics.js';
import { currentScope } from './request-scope.js';

export function graphqlObserver(metrics: Metrics): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let operation: { name: string | null; type: string } | undefined;
      return {
        async didResolveOperation({ operationName, operation: resolved }) {
          operation = { name: operationName, type: resolved?.operation ?? 'unknown' };
          const scope = currentScope();
          if (scope && operationName) scope.operationName = operationName;
        },
        async willSendResponse({ response }) {
          // Requests that never named a runnable operation (parse or validation errors) show up in the error count only.
          if (operation)
            metrics.operationFinished(operation.name, operation.type, (performance.now() - started) / 1000);
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            const code = error.extensions?.code;
            metrics.errorReturned(typeof code === 'string' ? code : undefined);
          }
        },
      };
    },
  };
}
