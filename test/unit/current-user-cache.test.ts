import { CurrentUserCache, type CurrentUser } from '../../src/users/current-user';
import { Role } from '../../src/users/role';
import { TestClock } from '../helpers/clock';

function user(publicId: string, role: Role = Role.USER): CurrentUser {
  return { id: 1, publicId, name: publicId, email: `${publicId}@example.com`, role, createdAt: new Date(0) };
}

describe('current-user cache', () => {
  it('keeps at most max entries, dropping the least recently used', () => {
    const cache = new CurrentUserCache(2, new TestClock());
    cache.set(user('a'), cache.currentGeneration);
    cache.set(user('b'), cache.currentGeneration);
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set(user('c'), cache.currentGeneration);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('forgets an invalidated user', () => {
    const cache = new CurrentUserCache(10, new TestClock());
    cache.set(user('a', Role.ADMIN), cache.currentGeneration);
    cache.invalidate('a');
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not store what a load read if an invalidation happened while it was reading', () => {
    const cache = new CurrentUserCache(10, new TestClock());
    const loadStartedAt = cache.currentGeneration;
    cache.invalidate('a'); // a demotion commits while the load's SELECT is in flight
    cache.set(user('a', Role.ADMIN), loadStartedAt);
    expect(cache.get('a')).toBeUndefined();
  });

  it('expires an entry after its time to live', () => {
    const clock = new TestClock();
    const cache = new CurrentUserCache(10, clock, 1000);
    cache.set(user('a'), cache.currentGeneration);
    clock.advance(0.999);
    expect(cache.get('a')).toBeDefined();
    clock.advance(0.001);
    expect(cache.get('a')).toBeUndefined();
  });
});
