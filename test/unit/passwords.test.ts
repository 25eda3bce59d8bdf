import bcrypt from 'bcryptjs';
import { createPasswordHasher } from '../../src/auth/passwords';

describe('password hasher', () => {
  it('makes standard $2b$ hashes at the configured cost that bcrypt itself verifies', async () => {
    const hasher = await createPasswordHasher(5);
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^\$2b\$05\$/);
    expect(await bcrypt.compare('correct horse', hash)).toBe(true);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hasher = await createPasswordHasher(4);
    const hash = await hasher.hash('correct horse');
    expect(await hasher.verify('correct horse', hash)).toBe(true);
    expect(await hasher.verify('correct horsE', hash)).toBe(false);
  });

  it('asks for a re-hash only when the stored cost is lower than configured', async () => {
    const hasher = await createPasswordHasher(6);
    expect(hasher.needsRehash(await bcrypt.hash('pw-pw-pw-pw', 4))).toBe(true);
    expect(hasher.needsRehash(await bcrypt.hash('pw-pw-pw-pw', 6))).toBe(false);
    expect(hasher.needsRehash(await bcrypt.hash('pw-pw-pw-pw', 7))).toBe(false);
  });

  it('spends a real comparison on the dummy hash and always says no', async () => {
    const hasher = await createPasswordHasher(4);
    const spy = jest.spyOn(bcrypt, 'compare');
    await expect(hasher.verifyDummy('anything at all')).resolves.toBe(false);
    expect(spy).toHaveBeenCalledWith('anything at all', expect.stringMatching(/^\$2b\$04\$/));
    spy.mockRestore();
  });

  it('hashes at the default cost of 12', async () => {
    const hasher = await createPasswordHasher(12);
    const hash = await hasher.hash('correct horse');
    expect(bcrypt.getRounds(hash)).toBe(12);
    expect(await hasher.verify('correct horse', hash)).toBe(true);
  });
});
