import { DatabaseUnavailableError } from '../../src/db/errors';
import { databaseCauseOf, toGraphQLError, translateError, withoutVariableValue } from '../../src/graphql/errors';
import { AuthReason, badUserInput, DomainError, forbidden, InputReason, rateLimited, serviceUnavailable, unauthenticated } from '../../src/shared/errors';

describe('what a client sees of a domain error', () => {
  const http = (error: DomainError) => toGraphQLError(error).extensions.http as { status: number; headers?: Map<string, string> } | undefined;

  it('UNAUTHENTICATED is HTTP 401 with its reason', () => {
    const error = toGraphQLError(unauthenticated(AuthReason.TOKEN_EXPIRED));
    expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    expect(http(unauthenticated(AuthReason.TOKEN_EXPIRED))?.status).toBe(401);
  });

  it('FORBIDDEN is HTTP 403', () => {
    expect(http(forbidden())?.status).toBe(403);
  });

  it('RATE_LIMITED is HTTP 429 with retryAfter and a Retry-After header of whole seconds', () => {
    expect(toGraphQLError(rateLimited(2.1)).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 3 });
    expect(http(rateLimited(2.1))).toEqual({ status: 429, headers: new Map([['retry-after', '3']]) });
  });

  it('SERVICE_UNAVAILABLE is HTTP 503 with Retry-After', () => {
    expect(http(serviceUnavailable(0.2))).toEqual({ status: 503, headers: new Map([['retry-after', '1']]) });
  });

  it('BAD_USER_INPUT keeps its reason and fields, and no HTTP status of its own', () => {
    const error = toGraphQLError(badUserInput('Invalid input', InputReason.INVALID_INPUT, { email: 'Email is required' }));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT', fields: { email: 'Email is required' } });
  });

  it('a database that cannot answer is a 503, its driver code kept for the log only', () => {
    const translated = translateError(new DatabaseUnavailableError('ECONNREFUSED')) as ReturnType<typeof toGraphQLError>;
    expect(translated.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 2 });
    expect(JSON.stringify(translated.extensions)).not.toContain('ECONNREFUSED');
    expect(databaseCauseOf(translated)?.code).toBe('ECONNREFUSED');
  });

  it('anything else passes through untouched, to be masked', () => {
    const error = new Error('boom');
    expect(translateError(error)).toBe(error);
  });
});

describe('withoutVariableValue', () => {
  it('keeps the variable, the path and a value-free reason', () => {
    const inner = 'String cannot represent a non string value: 8675309';
    expect(withoutVariableValue(`Variable "$input" got invalid value 8675309 at "input.password"; ${inner}`, inner)).toBe(
      'Variable "$input" got an invalid value at "input.password"; String cannot represent a non string value',
    );
  });

  it('names the enum but not the value that is not in it', () => {
    const inner = 'Value "SECRET" does not exist in "Role" enum.';
    expect(withoutVariableValue(`Variable "$role" got invalid value "SECRET"; ${inner}`, inner)).toBe(
      'Variable "$role" got an invalid value; not a value in "Role" enum.',
    );
  });

  it('is not fooled by a value that imitates a path and a reason', () => {
    const inner = 'Expected type "LoginInput" to be an object.';
    const value = '"x at \\"input.email\\"; Field \\"a\\" of required type \\"B\\" was not provided."';
    expect(withoutVariableValue(`Variable "$input" got invalid value ${value}; ${inner}`, inner)).toBe(
      'Variable "$input" got an invalid value; Expected type "LoginInput" to be an object.',
    );
  });

  it('says only that the value is invalid when the reason is not one it knows to be value-free', () => {
    const inner = 'Expected a secret-looking thing, got hunter2';
    expect(withoutVariableValue(`Variable "$x" got invalid value "hunter2"; ${inner}`, inner)).toBe('Variable "$x" got an invalid value');
    expect(withoutVariableValue('Variable "$x" got invalid value "hunter2"; something')).toBe('Variable "$x" got an invalid value');
  });

  it('leaves other messages alone', () => {
    expect(withoutVariableValue('Variable "$x" of required type "String!" was not provided.')).toBe('Variable "$x" of required type "String!" was not provided.');
  });
});
