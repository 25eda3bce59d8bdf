// The GraphQL schema, built once from the resolvers.
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchemaSync, type ContainerType } from 'type-graphql';
import { AuthResolver } from './resolvers/auth.resolver';
import type { AuthService } from '../auth/auth.service';
import type { DeviceCookie } from './device-cookie';
import type { RefreshTransport } from './refresh-transport';
import { guardRootFields, withGuardDirectives, type GuardPolicy } from './guard';
import { MfaResolver } from './resolvers/mfa.resolver';
import { RecoveryResolver } from './resolvers/recovery.resolver';
import type { RecoveryService } from '../recovery/recovery.service';
import { SessionResolver } from './resolvers/session.resolver';
import type { SessionService } from '../sessions/session.service';
import { UserResolver } from './resolvers/user.resolver';
import type { UserService } from '../users/user.service';

export interface SchemaServices {
  auth: AuthService;
  users: UserService;
  sessions: SessionService;
  recovery: RecoveryService;
  refreshTransport: RefreshTransport;
  deviceCookie: DeviceCookie;
  guardPolicy: GuardPolicy;
}

/** Without services the schema can be printed but not executed (that is what `npm run schema` needs). */
export function buildAppSchema(services?: SchemaServices): GraphQLSchema {
  const resolvers = new Map<unknown, unknown>(
    services
      ? [
          [AuthResolver, new AuthResolver(services.auth, services.refreshTransport, services.deviceCookie)],
          [UserResolver, new UserResolver(services.users, services.auth)],
          [SessionResolver, new SessionResolver(services.sessions, services.auth)],
          [MfaResolver, new MfaResolver(services.auth)],
          [RecoveryResolver, new RecoveryResolver(services.recovery, services.refreshTransport, services.deviceCookie)],
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
    resolvers: [AuthResolver, UserResolver, SessionResolver, MfaResolver, RecoveryResolver],
    container,
    validate: false,
  });
  return withGuardDirectives(guardRootFields(schema, services?.guardPolicy));
}

/** The SDL as committed in schema/schema.graphql: sorted, with the guard directives on each field. */
export function printAppSchema(schema: GraphQLSchema): string {
  return printSchemaWithDirectives(lexicographicSortSchema(schema)) + '\n';
}
