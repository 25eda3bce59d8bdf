// The second factor's pure parts: sealed secrets, recovery codes, the MFA_REQUIRED rule, and the guard's
// REQUIRE_MFA_FOR_ADMIN policy.
import { randomBytes } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import type { SessionWithUser, UserRecord } from '../../src/db/records';
import { authorize } from '../../src/graphql/guard';
import { mfaRestriction, needsSecondFactor } from '../../src/mfa/mfa.service';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '../../src/mfa/recovery-codes';
import { createSecretBox } from '../../src/mfa/secret-box';
import { Aal, AuthMethod, PASSWORD_ONLY, withSecondFactor } from '../../src/shared/assurance';
import { Role } from '../../src/shared/role';

const key = () => randomBytes(32).toString('hex');

describe('sealed secrets (AES-256-GCM)', () => {
  it('open with the same key and context', () => {
    const box = createSecretBox(key());
    expect(box.open(box.seal('JBSWY3DPEHPK3PXP', 'totp:a'), 'totp:a')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('never seal the same secret to the same text twice (a fresh nonce each time)', () => {
    const box = createSecretBox(key());
    expect(box.seal('JBSWY3DPEHPK3PXP', 'totp:a')).not.toBe(box.seal('JBSWY3DPEHPK3PXP', 'totp:a'));
  });

  it('do not open for another user (the context is authenticated)', () => {
    const box = createSecretBox(key());
    expect(() => box.open(box.seal('JBSWY3DPEHPK3PXP', 'totp:a'), 'totp:b')).toThrow('does not open');
  });

  it('do not open with another key', () => {
    const sealed = createSecretBox(key()).seal('JBSWY3DPEHPK3PXP', 'totp:a');
    expect(() => createSecretBox(key()).open(sealed, 'totp:a')).toThrow('does not open');
  });

  it('do not open once a byte of the ciphertext is changed', () => {
    const box = createSecretBox(key());
    const [version, nonce, ciphertext, tag] = box.seal('JBSWY3DPEHPK3PXP', 'totp:a').split('.');
    const bytes = Buffer.from(ciphertext, 'base64url');
    bytes[0] ^= 1;
    expect(() => box.open([version, nonce, bytes.toString('base64url'), tag].join('.'), 'totp:a')).toThrow('does not open');
  });
});

describe('recovery codes', () => {
  it('are ten different codes of 80 random bits, in groups of four', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  });

  it('hash the same however they are typed', () => {
    expect(hashRecoveryCode('abcd-efgh-ijkl-mnop')).toBe(hashRecoveryCode(' ABCDEFGH IJKL-MNOP '));
    expect(normalizeRecoveryCode(' ab-cd ')).toBe('ABCD');
    expect(hashRecoveryCode('abcd-efgh-ijkl-mnop')).not.toBe(hashRecoveryCode('abcd-efgh-ijkl-mnoq'));
  });
});

describe('the MFA_REQUIRED rule', () => {
  const found = (mfaEnabled: boolean, aal: Aal): SessionWithUser =>
    ({ user: { mfaEnabled } as UserRecord, session: { aal, amr: [AuthMethod.PASSWORD] } }) as unknown as SessionWithUser;

  it('holds a session at aal1 of a user with TOTP on', () => {
    expect(mfaRestriction(found(true, Aal.AAL1))).toBe('MFA_REQUIRED');
  });

  it('lets an aal2 session through', () => {
    expect(mfaRestriction(found(true, Aal.AAL2))).toBeUndefined();
  });

  it('never holds a user without TOTP', () => {
    expect(mfaRestriction(found(false, Aal.AAL1))).toBeUndefined();
    expect(needsSecondFactor({ mfaEnabled: false }, PASSWORD_ONLY)).toBe(false);
  });

  it('raises a password session to aal2, keeping each method once, in the order used', () => {
    const raised = withSecondFactor(PASSWORD_ONLY, AuthMethod.OTP);
    expect(raised).toEqual({ aal: 'aal2', amr: ['pwd', 'otp'] });
    expect(withSecondFactor(raised, AuthMethod.OTP)).toEqual({ aal: 'aal2', amr: ['pwd', 'otp'] });
    expect(withSecondFactor(raised, AuthMethod.RECOVERY)).toEqual({ aal: 'aal2', amr: ['pwd', 'otp', 'recovery'] });
  });
});

describe('REQUIRE_MFA_FOR_ADMIN in the guard', () => {
  const admin = (mfaEnabled: boolean) => ({ user: { id: 1, role: Role.ADMIN, mfaEnabled } as UserRecord });
  const policy = { requireMfaForAdmin: true };
  const thrown = (fn: () => void): GraphQLError => {
    try {
      fn();
    } catch (error) {
      return error as GraphQLError;
    }
    throw new Error('expected an error');
  };

  it('refuses an ADMIN without TOTP on an ADMIN-only field: FORBIDDEN, MFA_REQUIRED, 403', () => {
    const error = thrown(() => authorize(admin(false), { roles: [Role.ADMIN], allow: [] }, policy));
    expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MFA_REQUIRED', http: { status: 403 } });
  });

  it('lets an ADMIN with TOTP through, and an ADMIN without it to fields any user may call', () => {
    expect(() => authorize(admin(true), { roles: [Role.ADMIN], allow: [] }, policy)).not.toThrow();
    expect(() => authorize(admin(false), { roles: [], allow: [] }, policy)).not.toThrow();
  });

  it('asks nothing of an ADMIN without the setting', () => {
    expect(() => authorize(admin(false), { roles: [Role.ADMIN], allow: [] })).not.toThrow();
  });
});
