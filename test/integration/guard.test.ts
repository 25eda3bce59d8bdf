// Deny by default: every root field is either @public or @authorized, and the SDL says what the server enforces.
import {
  getNamedType,
  GraphQLID,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  valueFromASTUntyped,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { AUTHORIZED_DIRECTIVE, hasDirective, PUBLIC_DIRECTIVE } from '../../src/graphql/guard';
import { buildAppSchema } from '../../src/graphql/schema';
import { Role } from '../../src/graphql/types/enums';
import { errorOf, signUp, startTestServer, type GraphQLResponse, type SignedUp, type TestServer } from '../helpers/server';

const schema = buildAppSchema();
const rootFields = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) =>
  Object.values(type.getFields()).map((field) => ({ operation: type === schema.getQueryType() ? 'query' : 'mutation', field })),
);

function requiredRoles(field: GraphQLField<unknown, unknown>): string[] {
  const directive = field.astNode?.directives?.find((d) => d.name.value === AUTHORIZED_DIRECTIVE);
  const roles = directive?.arguments?.find((arg) => arg.name.value === 'roles');
  return roles ? (valueFromASTUntyped(roles.value) as string[]) : [];
}

/** A value of the right shape for an argument, so the call gets past validation to the guard. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, sample(field.type)]));
  }
  if (isScalarType(type) && type.name === GraphQLID.name) return '00000000-0000-4000-8000-000000000000';
  if (isScalarType(type) && type.name === 'Int') return 1;
  if (isScalarType(type) && type.name === 'Boolean') return true;
  return 'sample@example.com';
}

function callOf(operation: string, field: GraphQLField<unknown, unknown>) {
  const variables = Object.fromEntries(field.args.map((arg) => [arg.name, sample(arg.type)]));
  const declarations = field.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const selection = isObjectType(getNamedType(field.type)) ? '{ __typename }' : '';
  const query = `${operation}${declarations ? `(${declarations})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection} }`;
  return { query, variables };
}

describe('the schema', () => {
  it('has root fields to check', () => {
    expect(rootFields.map(({ field }) => field.name).sort()).toEqual([
      'changeEmail',
      'changePassword',
      'confirmTotpEnrollment',
      'deleteUser',
      'disableTotp',
      'login',
      'logout',
      'me',
      'refreshToken',
      'regenerateRecoveryCodes',
      'requestEmailVerification',
      'requestPasswordReset',
      'resetPassword',
      'revokeSession',
      'sessions',
      'setUserRole',
      'signup',
      'startTotpEnrollment',
      'users',
      'verifyEmail',
      'verifyMfa',
    ]);
  });

  it.each(rootFields.map(({ field }) => [field.name, field] as const))('marks %s as exactly one of @public or @authorized', (_name, field) => {
    expect([hasDirective(field, PUBLIC_DIRECTIVE), hasDirective(field, AUTHORIZED_DIRECTIVE)].filter(Boolean)).toHaveLength(1);
  });

  it('keeps the public surface to signup, login, refreshToken and the three that take a link or an address', () => {
    expect(rootFields.filter(({ field }) => hasDirective(field, PUBLIC_DIRECTIVE)).map(({ field }) => field.name).sort()).toEqual([
      'login',
      'refreshToken',
      'requestPasswordReset',
      'resetPassword',
      'signup',
      'verifyEmail',
    ]);
  });
});

/** The guard's refusal, as opposed to an operation's own answer (a wrong current password, a bad refresh token). */
function refusedByGuard(res: GraphQLResponse): boolean {
  const { code, reason } = errorOf(res);
  return code === 'FORBIDDEN' || (code === 'UNAUTHENTICATED' && typeof reason === 'string' && reason.startsWith('TOKEN_'));
}

describe('the server enforces what the SDL says', () => {
  let server: TestServer;
  let user: SignedUp;
  let admin: SignedUp;

  beforeAll(async () => {
    server = await startTestServer();
  });
  // Fresh users for each field: logout ends the session of the token it is called with.
  beforeEach(async () => {
    user = await signUp(server);
    admin = await signUp(server, { role: Role.ADMIN });
  });
  afterAll(() => server.close());

  it.each(rootFields.map(({ operation, field }) => [field.name, operation, field] as const))(
    '%s',
    async (_name, operation, field) => {
      const { query, variables } = callOf(operation, field);
      const anonymous = await server.graphql(query, variables);
      if (hasDirective(field, PUBLIC_DIRECTIVE)) {
        expect(refusedByGuard(anonymous)).toBe(false);
        return;
      }
      expect(errorOf(anonymous)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
      const roles = requiredRoles(field);
      const asUser = await server.graphql(query, variables, { token: user.token });
      const asAdmin = await server.graphql(query, variables, { token: admin.token });
      if (roles.includes(Role.ADMIN)) {
        expect(errorOf(asUser).code).toBe('FORBIDDEN');
      } else {
        expect(refusedByGuard(asUser)).toBe(false);
      }
      expect(refusedByGuard(asAdmin)).toBe(false);
    },
  );
});
