import type { GraphQLError } from 'graphql';
import { authorize } from '../../src/graphql/guard';
import type { Context } from '../../src/graphql/context';
import { Role } from '../../src/graphql/types/enums';
import type { UserRecord as Viewer } from '../../src/db/records';
import { SessionRestriction } from '../../src/shared/errors';

function check(context: Partial<Context>, roles: Role[], allow: SessionRestriction[] = []): true {
  authorize(context, { roles, allow });
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

  describe('a restricted session', () => {
    const restricted = { user: admin, restrictions: [SessionRestriction.MFA_REQUIRED] };

    it('is refused a field that does not allow its restriction, with FORBIDDEN, 403 and the restriction as the reason', () => {
      const error = thrown(() => check(restricted, []));
      expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MFA_REQUIRED', http: { status: 403 } });
    });

    it('may call a field that allows its restriction', () => {
      expect(check(restricted, [], [SessionRestriction.MFA_REQUIRED])).toBe(true);
    });

    it('is held back before its role counts: a restricted ADMIN is not yet an ADMIN', () => {
      expect(thrown(() => check(restricted, [Role.ADMIN])).extensions).toMatchObject({ reason: 'MFA_REQUIRED' });
    });

    it('owing two things, may call only a field that allows both', () => {
      const both = { user, restrictions: [SessionRestriction.EMAIL_NOT_VERIFIED, SessionRestriction.MFA_REQUIRED] };
      expect(thrown(() => check(both, [], [SessionRestriction.MFA_REQUIRED])).extensions).toMatchObject({ reason: 'EMAIL_NOT_VERIFIED' });
      expect(check(both, [], [SessionRestriction.EMAIL_NOT_VERIFIED, SessionRestriction.MFA_REQUIRED])).toBe(true);
    });
  });
});
