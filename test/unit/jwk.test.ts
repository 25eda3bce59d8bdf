import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { jwkThumbprint, publicJwk } from '../../src/tokens/jwk';

// RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
const RFC7638_KEY = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5Js' +
    'GY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bF' +
    'TWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

describe('jwkThumbprint', () => {
  it('gives the thumbprint of the RFC 7638 example key', () => {
    const key = createPublicKey({ key: RFC7638_KEY, format: 'jwk' });
    expect(jwkThumbprint(key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each([
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['an EC P-256 key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
    ['an HMAC secret', () => createSecretKey(randomBytes(48))],
  ])('agrees with jose for %s', async (_name, make) => {
    const key = make();
    expect(jwkThumbprint(key)).toBe(await calculateJwkThumbprint(key.export({ format: 'jwk' }) as JWK));
  });

  it('is the same for a private key and its public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(jwkThumbprint(privateKey)).toBe(jwkThumbprint(publicKey));
  });
});

describe('publicJwk', () => {
  it('publishes exactly the public members of an RSA key', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicJwk(privateKey, 'RS256', 'the-kid');
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: 'the-kid', e: 'AQAB' });
  });

  it('publishes exactly the public members of an EC key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicJwk(privateKey, 'ES256', 'the-kid');
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it('refuses an HMAC secret: it has no public half to publish', () => {
    expect(() => publicJwk(createSecretKey(randomBytes(32)), 'RS256', 'x')).toThrow(/asymmetric/);
  });
});
