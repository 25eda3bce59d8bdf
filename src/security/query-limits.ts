// Limits on the shape of a GraphQL document, applied as validation rules before anything executes
// (graphql-armor's rules), plus the parser's token limit. Built once, at start-up.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { ParseOptions, ValidationRule } from 'graphql';

export const QUERY_LIMITS = {
  maxDepth: 8,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 1000,
  maxCost: 5000,
} as const;

export const validationRules: ValidationRule[] = [
  // Introspection is left to its own switch (off in production): the playground's own
  // introspection query is deeper than 8 and must keep working in development.
  maxDepthRule({ n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
  maxAliasesRule({ n: QUERY_LIMITS.maxAliases }),
  maxDirectivesRule({ n: QUERY_LIMITS.maxDirectives }),
  costLimitRule({ maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true }),
] as ValidationRule[];

export const parseOptions: ParseOptions = { maxTokens: QUERY_LIMITS.maxTokens };
