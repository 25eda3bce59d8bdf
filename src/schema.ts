// The GraphQL schema, built once from the resolvers.
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchemaSync, type ContainerType } from 'type-graphql';
import { AuthResolver } from './auth/auth.resolver';
import type { AuthService } from './auth/auth.service';
import { authChecker, denyByDefault, withGuardDirectives } from './auth/guard';
import { UserResolver } from './users/user.resolver';
import type { UserService } from './users/user.service';

export interface SchemaServices {
  auth: AuthService;
  users: UserService;
}

/** Without services the schema can be printed but not executed (that is what `npm run schema` needs). */
export function buildAppSchema(services?: SchemaServices): GraphQLSchema {
  const resolvers = new Map<unknown, unknown>(
    services
      ? [
          [AuthResolver, new AuthResolver(services.auth)],
          [UserResolver, new UserResolver(services.users)],
        ]
      : [],
  );
  const container: ContainerType = {
    get: (resolverClass) => {
      const resolver = resolvers.get(resolverClass);
      if (!resolver) throw new Error('This schema was built without services and cannot execute operations');
      return resolver;
    },
  };
  const schema = buildSchemaSync({
    resolvers: [AuthResolver, UserResolver],
    container,
    authChecker,
    authMode: 'error',
    globalMiddlewares: [denyByDefault],
    validate: false,
  });
  return withGuardDirectives(schema);
}

/** The SDL as committed in schema/schema.graphql: sorted, with the guard directives on each field. */
export function printAppSchema(schema: GraphQLSchema): string {
  return printSchemaWithDirectives(lexicographicSortSchema(schema)) + '\n';
}
