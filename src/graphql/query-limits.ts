// Limits on the shape of a GraphQL document, applied as validation rules before anything executes
// (graphql-armor's rules), plus the parser's token limit. Built once, at start-up.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLError, ParseOptions, ValidationContext, ValidationRule } from 'graphql';

export const QUERY_LIMITS = {
  maxDepth: 8,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 1000,
  maxCost: 5000,
} as const;

// By default the armor rules throw, which a plain validation pass turns into a 500;
// report the error to the validation context instead, like any other validation rule.
const report = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export const validationRules: ValidationRule[] = [
  // Introspection is left to its own switch (off in production): the playground's own
  // introspection query is deeper than 8 and must keep working in development.
  maxDepthRule({ n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...report }),
  maxAliasesRule({ n: QUERY_LIMITS.maxAliases, ...report }),
  maxDirectivesRule({ n: QUERY_LIMITS.maxDirectives, ...report }),
  costLimitRule({ maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true, ...report }),
] as ValidationRule[];

export const parseOptions: ParseOptions = { maxTokens: QUERY_LIMITS.maxTokens };
