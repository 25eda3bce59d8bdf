import type { GraphQLError } from 'graphql';
import { authorize } from '../../src/graphql/guard';
import type { Context } from '../../src/graphql/context';
import { Role } from '../../src/graphql/types/enums';
import type { UserRecord as Viewer } from '../../src/db/records';

function check(context: Partial<Context>, roles: Role[]): true {
  authorize(context, roles);
  return true;
}

function thrown(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected an error');
}

const user = { id: 1, role: Role.USER } as Viewer;
const admin = { id: 2, role: Role.ADMIN } as Viewer;

describe('authorize', () => {
  it('lets an authenticated user through when no role is required', () => {
    expect(check({ user }, [])).toBe(true);
  });

  it('lets an ADMIN through to an ADMIN field', () => {
    expect(check({ user: admin }, [Role.ADMIN])).toBe(true);
  });

  it('refuses a USER on an ADMIN field with FORBIDDEN and 403', () => {
    const error = thrown(() => check({ user }, [Role.ADMIN]));
    expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', http: { status: 403 } });
  });

  it('refuses an anonymous request with TOKEN_MISSING and 401', () => {
    const error = thrown(() => check({}, []));
    expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING', http: { status: 401 } });
  });

  it('passes on the recorded reason a token was refused', () => {
    const error = thrown(() => check({ authFailure: 'TOKEN_EXPIRED' }, [Role.ADMIN]));
    expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
  });
});
