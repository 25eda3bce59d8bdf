// A root field someone forgot to mark is refused to anonymous callers: the guard fails closed.
import { graphql } from 'graphql';
import { buildSchemaSync, Query, Resolver } from 'type-graphql';
import { guardRootFields } from '../../src/graphql/guard';
import { Role } from '../../src/shared/role';
import type { UserRecord } from '../../src/db/records';

@Resolver()
class ForgetfulResolver {
  @Query(() => String)
  secret(): string {
    return 'the crown jewels';
  }
}

const schema = guardRootFields(buildSchemaSync({ resolvers: [ForgetfulResolver], validate: false }));

it('refuses an anonymous call to a root field with neither @public nor @authorized', async () => {
  const result = await graphql({ schema, source: '{ secret }', contextValue: {} });
  expect(result.data).toBeNull();
  expect(result.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
});

it('lets an authenticated user call it', async () => {
  const result = await graphql({ schema, source: '{ secret }', contextValue: { user: { role: Role.USER } as UserRecord } });
  expect(result).toEqual({ data: { secret: 'the crown jewels' } });
});
