// Hot queries run compiled. Every authenticated client sends the same few documents over and over (`me`
// above all), and graphql-js interprets each one afresh: for `{ me { id name email role } }` that cost
// ~3.3 µs a request against ~0.3 µs for the same query compiled to JavaScript by graphql-jit, and graphql-js
// also keys a cache by each request's execution context (collectSubfields' memoize3: three WeakMaps a request
// for any nested object), which the garbage collector pays for under load (measured, Node 20; bench row 2 and
// docs/performance.md).
//
// An Apollo plugin, through the documented responseForOperation hook (where a response cache answers too), so
// that parsing, validation, the query limits, context and every other plugin stay as they are. What a client
// sees does not change:
// - only queries are compiled, and only those without variables, arguments or introspection fields (the
//   documents that are hot: `me`, `sessions`; see isCompilable for why never an argument);
// - a document is compiled only after GRAPHQL_COMPILE_AFTER runs by graphql-js (config.ts), so a client sending
//   a new document each time (compiling costs far more than running) never gets one compiled; MAX_COMPILED are kept;
// - a compiled run whose result has any error (a guard's refusal, a database that does not answer) is not
//   answered from here: Apollo then runs the query in graphql-js as always, so errors keep exactly
//   graphql-js's paths, locations and messages, and go through error formatting and reporting. Queries only
//   read, so running one twice changes nothing; the second run costs only a request that failed anyway.
import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContextResponseForOperation, type GraphQLRequestListener, type GraphQLResponse } from '@apollo/server';
import { BREAK, Kind, OperationTypeNode, visit, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Logger } from '../shared/logger';

/** Compiled documents kept per process; past it, the one compiled longest ago is dropped. */
export const MAX_COMPILED = 500;

/** Apollo only reads a plugin's response head (merging it into its own): one, empty, serves every answer. */
const NO_HEAD: GraphQLResponse['http'] = Object.freeze({ status: undefined, headers: new HeaderMap() });

interface DocumentState {
  /** isCompilable, decided once per document and operation. */
  eligible: boolean;
  runs: number;
  /** Undefined until compiled; null when it cannot be. */
  compiled?: CompiledQuery | null;
}

/**
 * The documents this compiles: a query without variables, and without a single argument anywhere in the document
 * (a field's or a directive's), whose root selections are plain fields, none of them introspection but
 * __typename (__schema and __type exist only on the root, so no fragment may hide one).
 *
 * No arguments, because graphql-jit 0.8.9 writes literal argument values into the code it generates, through
 * JSON.stringify and then a regex that turns a fixed marker string into `new Date(...)`: a string literal
 * holding the marker runs whatever follows it, on the server (reproduced; the test sends one).
 */
function isCompilable(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  if (operation.operation !== OperationTypeNode.QUERY || (operation.variableDefinitions?.length ?? 0) > 0) return false;
  const rootFields = operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && (selection.name.value === '__typename' || !selection.name.value.startsWith('__')),
  );
  if (!rootFields) return false;
  let argument = false;
  visit(document, {
    Argument() {
      argument = true;
      return BREAK;
    },
  });
  return !argument;
}

/** `compileAfter`: runs of a document by graphql-js before it is compiled (0: compiled at its first run). */
export function compiledQueries(schema: GraphQLSchema, compileAfter: number, logger: Logger): ApolloServerPlugin<BaseContext> {
  // Apollo keeps one parsed document per query text (its document store), so the document object is the
  // key, and an entry goes when Apollo drops the document. Keyed by the operation too: a document may hold several.
  const states = new WeakMap<DocumentNode, Map<OperationDefinitionNode, DocumentState>>();
  const compiledOrder: DocumentState[] = [];

  const stateOf = (document: DocumentNode, operation: OperationDefinitionNode): DocumentState => {
    let byOperation = states.get(document);
    if (!byOperation) states.set(document, (byOperation = new Map()));
    let state = byOperation.get(operation);
    if (!state) byOperation.set(operation, (state = { eligible: isCompilable(document, operation), runs: 0 }));
    return state;
  };

  const compile = (state: DocumentState, document: DocumentNode, operationName: string | undefined): CompiledQuery | null => {
    let result;
    try {
      result = compileQuery(schema, document, operationName);
    } catch (error) {
      // A document graphql-jit cannot compile runs in graphql-js, as every document did before.
      logger.warn({ operationName: operationName ?? null, err: error }, 'hot query not compiled');
    }
    state.compiled = result && isCompiledQuery(result) ? result : null;
    logger.debug({ operationName: operationName ?? null, compiled: state.compiled !== null }, 'hot query compiled');
    if (state.compiled) {
      compiledOrder.push(state);
      if (compiledOrder.length > MAX_COMPILED) {
        // Dropped, not forgotten: it counts its runs again before it is compiled again.
        const oldest = compiledOrder.shift()!;
        oldest.compiled = undefined;
        oldest.runs = 0;
      }
    }
    return state.compiled;
  };

  const answered = ({ data, errors }: ExecutionResult): GraphQLResponse | null =>
    errors?.length ? null : { http: NO_HEAD, body: { kind: 'single', singleResult: { data } } };

  // One listener for every request: it keeps nothing of its own.
  const listener: GraphQLRequestListener<BaseContext> = {
    async responseForOperation(request: GraphQLRequestContextResponseForOperation<BaseContext>): Promise<GraphQLResponse | null> {
      const { document, operation } = request;
      const state = stateOf(document, operation);
      if (!state.eligible) return null;
      if (state.compiled === undefined) {
        state.runs += 1;
        if (state.runs <= compileAfter) return null;
      }
      const compiled = state.compiled === undefined ? compile(state, document, operation.name?.value) : state.compiled;
      if (!compiled) return null;
      try {
        return answered(await compiled.query(undefined, request.contextValue, {}));
      } catch {
        // graphql-jit reports a resolver's error in the result; anything thrown is its own fault: run it as always.
        return null;
      }
    },
  };

  return { requestDidStart: async () => listener };
}
