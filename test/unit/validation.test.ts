import { DomainError } from '../../src/shared/errors';
import { validateNewUser } from '../../src/users/user.validation';

const valid = { name: 'Ada', email: 'ada@example.com', password: 'correct horse' };

function fieldsOf(input: typeof valid): Record<string, string> {
  try {
    validateNewUser(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT' });
    return { ...(error as DomainError).fields };
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('validateNewUser', () => {
  it('trims the name and normalises the email', () => {
    expect(validateNewUser({ ...valid, name: '  Ada  ', email: '  Ada@Example.COM ' })).toEqual({ ...valid });
  });

  it('keeps the password exactly as given', () => {
    expect(validateNewUser({ ...valid, password: '  spaced  ' }).password).toBe('  spaced  ');
  });

  it.each(['', 'ada', 'ada@', '@example.com', 'ada@example', 'a da@example.com', 'ada@@example.com'])('rejects email %j', (email) => {
    expect(Object.keys(fieldsOf({ ...valid, email }))).toEqual(['email']);
  });

  it('rejects an email over 254 characters', () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(10)}.com`;
    expect(email.length).toBeGreaterThan(254);
    expect(fieldsOf({ ...valid, email }).email).toMatch(/254/);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['over 100 characters', 'x'.repeat(101)],
    ['with a control character', 'Ada\u0000'],
  ])('rejects a name that is %s', (_name, name) => {
    expect(Object.keys(fieldsOf({ ...valid, name }))).toEqual(['name']);
  });

  it('accepts a name of exactly 100 characters', () => {
    expect(validateNewUser({ ...valid, name: 'x'.repeat(100) }).name).toHaveLength(100);
  });

  it('rejects a password under 8 characters', () => {
    expect(fieldsOf({ ...valid, password: 'seven77' }).password).toMatch(/at least 8/);
  });

  it('accepts a password of exactly 72 bytes', () => {
    expect(validateNewUser({ ...valid, password: 'p'.repeat(72) }).password).toHaveLength(72);
  });

  it('rejects a password of 73 bytes instead of truncating it', () => {
    expect(fieldsOf({ ...valid, password: 'p'.repeat(73) }).password).toMatch(/72 bytes/);
  });

  it('counts bytes, not characters: 25 three-byte characters are 75 bytes', () => {
    expect(fieldsOf({ ...valid, password: '€'.repeat(25) }).password).toMatch(/72 bytes/);
  });

  it('reports every wrong field at once', () => {
    expect(Object.keys(fieldsOf({ name: '', email: 'nope', password: 'x' })).sort()).toEqual(['email', 'name', 'password']);
  });
});
