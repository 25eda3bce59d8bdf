// TOTP as RFC 6238 defines it: the test vectors of its Appendix B, through the same HMAC plugin the server
// uses, and the server's own check (src/mfa/totp.ts) on the SHA-1 vectors, its drift window and its replay rule.
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync } from '@otplib/totp';
import { base32 } from 'rfc4648';
import { isTotpCode, matchTotp, newTotpSecret, otpauthUrl, qrCodeSvg, TOTP_SETTINGS } from '../../src/mfa/totp';

// RFC 6238 Appendix B: the seeds, and the 8-digit codes at each time (T0 = 0, X = 30 s).
const SEEDS = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;
const VECTORS: Array<[number, Record<keyof typeof SEEDS, string>]> = [
  [59, { sha1: '94287082', sha256: '46119246', sha512: '90693936' }],
  [1111111109, { sha1: '07081804', sha256: '68084774', sha512: '25091201' }],
  [1111111111, { sha1: '14050471', sha256: '67062674', sha512: '99943326' }],
  [1234567890, { sha1: '89005924', sha256: '91819424', sha512: '93441116' }],
  [2000000000, { sha1: '69279037', sha256: '90698825', sha512: '38618901' }],
  [20000000000, { sha1: '65353130', sha256: '77737706', sha512: '47863826' }],
];
const crypto = new NodeCryptoPlugin();
const SHA1_SECRET = base32.stringify(SEEDS.sha1, { pad: false });

describe('RFC 6238 test vectors', () => {
  it.each(VECTORS.flatMap(([time, codes]) => (Object.keys(codes) as Array<keyof typeof SEEDS>).map((alg) => [time, alg, codes[alg]] as const)))(
    'at T=%i with %s the code is %s',
    (time, algorithm, code) => {
      expect(generateSync({ secret: new Uint8Array(SEEDS[algorithm]), epoch: time, algorithm, digits: 8, period: 30, crypto })).toBe(code);
    },
  );

  // A 6-digit code is the 8-digit one modulo 10^6 (RFC 4226's truncation): its last six digits.
  it.each(VECTORS)('the server accepts the 6-digit SHA-1 code at T=%i', (time, codes) => {
    expect(matchTotp(SHA1_SECRET, codes.sha1.slice(-6), time * 1000)).toBe(Math.floor(time / 30));
  });
});

describe('the server check', () => {
  const at = 1111111109 * 1000;
  const code = VECTORS[1][1].sha1.slice(-6);

  it('accepts a code one step early or late (drift), and says which step it matched', () => {
    expect(matchTotp(SHA1_SECRET, code, at - 30_000)).toBe(Math.floor(at / 30_000));
    expect(matchTotp(SHA1_SECRET, code, at + 30_000)).toBe(Math.floor(at / 30_000));
  });

  it('refuses a code two steps away', () => {
    expect(matchTotp(SHA1_SECRET, code, at + 60_000)).toBeUndefined();
    expect(matchTotp(SHA1_SECRET, code, at - 60_000)).toBeUndefined();
  });

  it('refuses a code of a step already used, or of one before it', () => {
    const step = Math.floor(at / 30_000);
    expect(matchTotp(SHA1_SECRET, code, at, step)).toBeUndefined();
    expect(matchTotp(SHA1_SECRET, code, at, step - 1)).toBe(step);
  });

  it('refuses anything but six digits before any HMAC', () => {
    for (const bad of ['', '12345', '1234567', '12345a', ' 081804', '081 804']) expect(isTotpCode(bad)).toBe(false);
  });

  it('makes 160-bit secrets, base32 without padding', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32.parse(secret).length).toBe(TOTP_SETTINGS.secretBytes);
  });

  it('writes the otpauth URL with the issuer, the account and every parameter', () => {
    expect(otpauthUrl('JBSWY3DPEHPK3PXP', 'My App', 'ada@example.com')).toBe(
      'otpauth://totp/My%20App:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My%20App&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('draws the URL as an SVG QR code', async () => {
    expect(await qrCodeSvg('otpauth://totp/x')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>\s*$/s);
  });
});
