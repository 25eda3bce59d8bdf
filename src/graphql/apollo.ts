// Apollo Server for the schema: validation and parse limits, error masking and wording, and the log of what
// was masked. The HTTP edge (http/graphql-handler.ts) hands it requests; this layer owns what comes back.
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import { ErrorCode } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { Context } from './context';
import { compiledQueries } from './compiled-queries';
import { databaseCauseOf, forProduction, maskError, withoutLibraryDetail } from './errors';
import { parseOptions, validationRules } from './query-limits';

/** Adds the request id to masked errors, and logs every error that was masked, with its stack. */
function errorReporting(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) {
              logger.error({ requestId: contextValue?.requestId, err: error.originalError ?? error }, 'internal error');
            }
            const cause = databaseCauseOf(error);
            if (cause) logger.warn({ requestId: contextValue?.requestId, dbCode: cause.code }, 'database unavailable: answered 503');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            if (error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR && contextValue?.requestId) {
              (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
          }
        },
      };
    },
  };
}

export async function startApollo(schema: GraphQLSchema, config: Config, logger: Logger): Promise<ApolloServer<Context>> {
  const production = config.nodeEnv === 'production';
  const apollo = new ApolloServer<Context>({
    schema,
    logger: logger.child({ component: 'apollo' }),
    introspection: config.introspection,
    validationRules,
    parseOptions,
    allowBatchedHttpRequests: false,
    // GET runs queries only (Apollo refuses a mutation over GET), and no query is authorized by a cookie;
    // a POST must be JSON (http/graphql-handler.ts). See docs/clients.md.
    csrfPrevention: false,
    includeStacktraceInErrorResponses: config.debugErrors,
    // Nothing uses automatic persisted queries; off, a request for one gets a plain refusal (see errors.ts).
    persistedQueries: false,
    formatError: (formatted, error) => {
      const masked = maskError(withoutLibraryDetail(formatted, error), { debug: config.debugErrors });
      return production ? forProduction(masked) : masked;
    },
    // main.ts owns SIGTERM/SIGINT and drains the HTTP server first; Apollo's own handler
    // would race it (and, as measured, leave our apollo.stop() waiting forever).
    stopOnTerminationSignals: false,
    plugins: [
      errorReporting(logger),
      // No response here may be cached (they carry tokens and per-user data): the handler sends
      // Cache-Control: no-store on every one. Apollo's cache-control plugin would reach the same header by
      // inspecting every resolved field of every request.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing pages load from Apollo's CDN; the playground is ours (http/playground.ts).
      ApolloServerPluginLandingPageDisabled(),
      // Hot queries run compiled (compiled-queries.ts); the others, and every error, as always.
      ...(config.compileQueriesAfter === null ? [] : [compiledQueries(schema, config.compileQueriesAfter, logger)]),
    ],
  });
  await apollo.start();
  return apollo;
}
