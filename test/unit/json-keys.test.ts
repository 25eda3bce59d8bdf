import { hasDuplicateTopLevelKeys } from '../../src/tokens/json-keys';

describe('hasDuplicateTopLevelKeys', () => {
  it.each([
    ['{"sub":"a","sub":"b"}'],
    ['{"sub":"a", "sub" : "b"}'],
    ['{"sub":"a","s\\u0075b":"b"}'],
    ['{"a":{"x":1},"b":[1,"a"],"a":2}'],
  ])('finds the duplicate in %s', (json) => {
    expect(hasDuplicateTopLevelKeys(json)).toBe(true);
  });

  it.each([
    ['{"sub":"a","role":"USER","iat":1}'],
    ['{"a":{"a":1,"a":2}}'],
    ['{"a":"\\"a\\":","b":"a"}'],
    ['{"a":["a","a"],"b":"x:y"}'],
    ['[1,2]'],
  ])('finds none in %s', (json) => {
    expect(hasDuplicateTopLevelKeys(json)).toBe(false);
  });
});
