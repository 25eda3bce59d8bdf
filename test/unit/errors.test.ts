import { withoutVariableValue } from '../../src/graphql/errors';

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
