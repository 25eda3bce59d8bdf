// Clock trouble (issue 17, item 6): the server's clock (the seam, test/helpers/clock.ts) jumping forward and back
// by more than JWT_CLOCK_TOLERANCE. An access token is judged by the clock the server has now: accepted until
// exp + tolerance and refused from that second, refused as not yet valid only when the clock went back by more
// than the tolerance, and accepted again once the clock is back; on both of its paths (verified now, or
// remembered from an earlier request). A refresh token spent before the clock went back stays spent: replayed
// outside the grace interval, in either direction, it is a reuse and ends its session.
// Already covered elsewhere, not repeated here: expiry at exactly JWT_ACCESS_TTL with no tolerance
// (integration/tokens.test.ts), forged tokens one second either side of the tolerance (security/tokens.test.ts),
// refresh expiry, the sliding window and the absolute limit as time moves forward (integration/sessions.test.ts),
// and the SQLite session cache's data_version reading with a clock set back (sqlite/ tests).
import { MeDocument, RefreshTokenDocument } from '../../src/client/graphql';
import { errorOf, expectUnauthenticated, signUp, startTestServer, type TestServer } from '../helpers/server';

const TOLERANCE = 30;
const ACCESS_TTL = 900;
const GRACE = 10;

let server: TestServer;
let anchor: number;

beforeAll(async () => {
  server = await startTestServer({ JWT_CLOCK_TOLERANCE: `${TOLERANCE}s`, JWT_ACCESS_TTL: `${ACCESS_TTL}s`, REFRESH_REUSE_GRACE: `${GRACE}s` });
});
afterAll(() => server.close());
beforeEach(() => {
  anchor = server.clock.now();
});
// Every test starts at the same time of day, whatever the last one did with the clock.
afterEach(() => server.clock.advance((anchor - server.clock.now()) / 1000));

/** Moves the server's clock to `seconds` after (or before) the moment the test started. */
function jumpTo(seconds: number): void {
  server.clock.advance((anchor + seconds * 1000 - server.clock.now()) / 1000);
}

const me = (token: string) => server.execute(MeDocument, {}, { token });
const refresh = (token: string | null) => server.execute(RefreshTokenDocument, { token });

async function expectAccepted(token: string, id: string, what: string): Promise<void> {
  const res = await me(token);
  expect({ what, status: res.status, id: res.body.data?.me.id, error: errorOf(res) }).toEqual({
    what,
    status: 200,
    id,
    error: { code: undefined, reason: undefined },
  });
}

describe('access tokens, with the clock jumping by more than JWT_CLOCK_TOLERANCE', () => {
  it('a jump forward: accepted until exp + tolerance, refused as TOKEN_EXPIRED from that second, remembered or not', async () => {
    const remembered = await signUp(server);
    await expectAccepted(remembered.token, remembered.id, 'remembered');
    const [inside, outside] = [await signUp(server), await signUp(server)];
    jumpTo(ACCESS_TTL + TOLERANCE - 1);
    await expectAccepted(remembered.token, remembered.id, 'remembered, one second inside the tolerance');
    await expectAccepted(inside.token, inside.id, 'unseen, one second inside the tolerance');
    jumpTo(ACCESS_TTL + TOLERANCE);
    await expectUnauthenticated(me(remembered.token), 'TOKEN_EXPIRED');
    await expectUnauthenticated(me(outside.token), 'TOKEN_EXPIRED');
    // Far ahead (a clock off by a day), then back a little: still expired, by the clock the server has.
    jumpTo(86_400);
    await expectUnauthenticated(me(inside.token), 'TOKEN_EXPIRED');
    jumpTo(ACCESS_TTL + TOLERANCE + 1);
    await expectUnauthenticated(me(remembered.token), 'TOKEN_EXPIRED');
    await expectUnauthenticated(me(inside.token), 'TOKEN_EXPIRED');
  });

  it('a jump back by the tolerance: tokens just issued are still accepted, remembered or not', async () => {
    const user = await signUp(server);
    await expectAccepted(user.token, user.id, 'remembered');
    const unseen = await signUp(server);
    jumpTo(-TOLERANCE);
    await expectAccepted(user.token, user.id, 'remembered, clock back by the tolerance');
    await expectAccepted(unseen.token, unseen.id, 'unseen, clock back by the tolerance');
  });

  it('a jump back beyond the tolerance: TOKEN_INVALID (not yet valid) while it lasts, accepted again once the clock is back', async () => {
    const user = await signUp(server);
    await expectAccepted(user.token, user.id, 'remembered');
    const unseen = await signUp(server);
    jumpTo(-TOLERANCE - 1);
    await expectUnauthenticated(me(user.token), 'TOKEN_INVALID');
    await expectUnauthenticated(me(unseen.token), 'TOKEN_INVALID');
    jumpTo(-3600);
    await expectUnauthenticated(me(user.token), 'TOKEN_INVALID');
    jumpTo(60);
    await expectAccepted(user.token, user.id, 'remembered, clock corrected');
    await expectAccepted(unseen.token, unseen.id, 'unseen, clock corrected');
  });

  it('a token issued while the clock was an hour ahead is refused once it is corrected, and expires by its own exp', async () => {
    jumpTo(3600);
    const ahead = await signUp(server);
    await expectAccepted(ahead.token, ahead.id, 'issued ahead');
    jumpTo(0);
    await expectUnauthenticated(me(ahead.token), 'TOKEN_INVALID');
    jumpTo(3600 + ACCESS_TTL + TOLERANCE);
    await expectUnauthenticated(me(ahead.token), 'TOKEN_EXPIRED');
  });
});

describe('refresh tokens and sessions, with the clock jumping', () => {
  it('a session refreshed while the clock is an hour behind goes on working when it is corrected', async () => {
    const user = await signUp(server);
    jumpTo(-3600);
    const behind = await refresh(user.refreshToken);
    expect(errorOf(behind)).toEqual({ code: undefined, reason: undefined });
    const pair = behind.body.data!.refreshToken;
    await expectAccepted(pair.accessToken, user.id, 'issued while an hour behind');
    jumpTo(0);
    // Issued an hour "ago" with a 15-minute lifetime: expired by the corrected clock; the refresh token is not.
    await expectUnauthenticated(me(pair.accessToken), 'TOKEN_EXPIRED');
    const corrected = await refresh(pair.refreshToken);
    expect(errorOf(corrected)).toEqual({ code: undefined, reason: undefined });
    await expectAccepted(corrected.body.data!.refreshToken.accessToken, user.id, 'refreshed after the correction');
  });

  it('a spent refresh token replayed after the clock went back by more than the grace interval is a reuse: the session ends', async () => {
    const user = await signUp(server);
    const rotated = await refresh(user.refreshToken);
    const current = rotated.body.data!.refreshToken;
    jumpTo(-(GRACE + 60));
    await expectUnauthenticated(refresh(user.refreshToken), 'REFRESH_TOKEN_REUSED');
    jumpTo(0);
    await expectUnauthenticated(refresh(current.refreshToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(me(current.accessToken), 'TOKEN_REVOKED');
  });

  it('a spent refresh token replayed after the clock went back by less than the grace interval gets the same pair', async () => {
    const user = await signUp(server);
    const first = (await refresh(user.refreshToken)).body.data!.refreshToken;
    jumpTo(-(GRACE - 1));
    const again = await refresh(user.refreshToken);
    expect(errorOf(again)).toEqual({ code: undefined, reason: undefined });
    expect(again.body.data!.refreshToken.refreshToken).toBe(first.refreshToken);
    jumpTo(0);
    await expectAccepted(first.accessToken, user.id, 'the pair of the grace answer');
  });

  it('a spent refresh token replayed after a jump forward past the grace interval is a reuse, and stays one when the clock comes back', async () => {
    const user = await signUp(server);
    const current = (await refresh(user.refreshToken)).body.data!.refreshToken;
    jumpTo(GRACE);
    await expectUnauthenticated(refresh(user.refreshToken), 'REFRESH_TOKEN_REUSED');
    jumpTo(0);
    await expectUnauthenticated(refresh(user.refreshToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(current.refreshToken), 'TOKEN_REVOKED');
  });
});
