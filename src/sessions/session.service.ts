// Sessions and their refresh tokens: open on login, rotate on refresh (with reuse detection), end on
// logout, password change, role change or by an admin; and the per-request check of an access token's session.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { AccessClaims } from '../auth/tokens';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { RawDb } from '../db/raw';
import { AuthReason, badUserInput, InputReason } from '../errors';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { hashRefreshToken, isRefreshTokenFormat, newRefreshToken, type RotationKey } from './refresh-tokens';
import { isSessionActive, RefreshToken, Session } from './session.entity';
import { createSessionLookup, type CurrentSession, type SessionLookup } from './session-lookup';
import type { Viewer } from '../users/viewer';

const MAX_USER_AGENT_CHARS = 512;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface IssuedRefresh {
  token: string;
  /** Seconds until it expires. */
  expiresIn: number;
}

export interface OpenedSession {
  session: CurrentSession;
  refresh: IssuedRefresh;
}

/** The outcome of presenting a refresh token. */
export type Rotation =
  | {
      kind: 'rotated' | 'grace';
      session: Session;
      refresh: IssuedRefresh;
      /** When the presented token was rotated: the iat of the access token that goes with the new pair. */
      rotatedAtMs: number;
    }
  | { kind: 'reused'; session: Session }
  | { kind: 'refused'; reason: AuthReason };

export type SessionCheck = { ok: true; user: Viewer; session: CurrentSession } | { ok: false; reason: AuthReason };

export interface ClientMeta {
  ip: string;
  userAgent?: string;
}

// Opening a session is on every login and signup: raw statements (db/raw.ts), in one transaction.
const INSERT_SESSION = `insert into sessions (public_id, user_id, created_at, last_used_at, expires_at, absolute_expires_at, user_agent, ip)
  values (?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_REFRESH_TOKEN = 'insert into refresh_tokens (session_id, token_hash, created_at, expires_at) values (?, ?, ?, ?)';

export class SessionService {
  private readonly lookup: SessionLookup;

  constructor(
    private readonly settings: Config['sessions'],
    private readonly rotation: RotationKey,
    private readonly clock: Clock,
    private readonly db: RawDb,
    /** Keep per-request answers (see session-lookup.ts): only when this is the one server process. */
    options: { cacheLookups: boolean },
  ) {
    this.lookup = createSessionLookup(db, { cache: options.cacheLookups });
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private refreshExpiry(from: Date, session: Session): Date {
    return new Date(Math.min(from.getTime() + this.settings.refreshTtlSeconds * 1000, session.absoluteExpiresAt.getTime()));
  }

  private secondsUntil(date: Date): number {
    return Math.max(0, Math.ceil((date.getTime() - this.clock.now()) / 1000));
  }

  /** A new session for `user` and its first refresh token. Never from inside an ORM transaction (see db/raw.ts). */
  async open(user: Pick<Viewer, 'id'>, client: ClientMeta): Promise<OpenedSession> {
    const now = this.clock.now();
    const absoluteExpiresAt = now + this.settings.maxAgeSeconds * 1000;
    const expiresAt = Math.min(now + this.settings.refreshTtlSeconds * 1000, absoluteExpiresAt);
    const publicId = randomUUID();
    const token = newRefreshToken();
    const tokenHash = hashRefreshToken(token);
    const userAgent = client.userAgent ? client.userAgent.slice(0, MAX_USER_AGENT_CHARS) : null;
    const id = await this.db((sql) =>
      sql.transaction(() => {
        const session = sql.run(INSERT_SESSION, publicId, user.id, now, now, expiresAt, absoluteExpiresAt, userAgent, client.ip);
        sql.run(INSERT_REFRESH_TOKEN, session.lastInsertRowid, tokenHash, now, expiresAt);
        return Number(session.lastInsertRowid);
      }),
    );
    return { session: { id, publicId }, refresh: { token, expiresIn: this.secondsUntil(new Date(expiresAt)) } };
  }

  /**
   * Spend `token` and issue its successor. In one transaction, and the spend is a conditional update
   * (`rotated_at is null`), so of any number of concurrent refreshes with one token exactly one rotates;
   * the others find it rotated within the grace interval and get the same successor.
   */
  async rotate(em: EntityManager, token: string): Promise<Rotation> {
    if (!isRefreshTokenFormat(token)) return { kind: 'refused', reason: AuthReason.REFRESH_TOKEN_INVALID };
    const tokenHash = hashRefreshToken(token);
    return em.transactional(async (tx) => {
      const row = await tx.findOne(RefreshToken, { tokenHash }, { populate: ['session', 'session.user'] });
      if (!row) return { kind: 'refused', reason: AuthReason.REFRESH_TOKEN_INVALID };
      const session = row.session;
      const now = this.now();
      if (session.revokedAt) return { kind: 'refused', reason: AuthReason.TOKEN_REVOKED };
      if (now >= row.expiresAt || now >= session.absoluteExpiresAt) return { kind: 'refused', reason: AuthReason.REFRESH_TOKEN_EXPIRED };

      let rotatedAt = row.rotatedAt ?? null;
      if (!rotatedAt) {
        const claimed = await tx.nativeUpdate(RefreshToken, { id: row.id, rotatedAt: null }, { rotatedAt: now });
        if (claimed === 1) {
          const successor = this.rotation.successorOf(token);
          const expiresAt = this.refreshExpiry(now, session);
          tx.create(RefreshToken, { session, tokenHash: hashRefreshToken(successor), createdAt: now, expiresAt, rotatedAt: null });
          session.lastUsedAt = now;
          session.expiresAt = expiresAt;
          await tx.flush();
          return { kind: 'rotated', session, refresh: { token: successor, expiresIn: this.secondsUntil(expiresAt) }, rotatedAtMs: now.getTime() };
        }
        // Another request rotated it between our read and our update (databases that run transactions concurrently).
        rotatedAt = (await tx.findOneOrFail(RefreshToken, { id: row.id }, { refresh: true })).rotatedAt ?? now;
      }

      if (now.getTime() - rotatedAt.getTime() < this.settings.reuseGraceSeconds * 1000) {
        const successor = this.rotation.successorOf(token);
        const expiresAt = this.refreshExpiry(rotatedAt, session);
        return { kind: 'grace', session, refresh: { token: successor, expiresIn: this.secondsUntil(expiresAt) }, rotatedAtMs: rotatedAt.getTime() };
      }
      // A spent token came back after the grace interval: someone holds a copy. End the whole family.
      await tx.nativeUpdate(Session, { id: session.id, revokedAt: null }, { revokedAt: now });
      return { kind: 'reused', session };
    });
  }

  /**
   * The per-request check: one indexed read of the session joined with its user, or its kept answer
   * while nothing has been written (see session-lookup.ts). Only when the session is gone does a
   * second query tell a deleted user from a deleted session.
   */
  async check(em: () => EntityManager, claims: AccessClaims): Promise<SessionCheck> {
    const found = await this.lookup(claims.sid);
    if (!found) {
      const userExists = (await em().count(User, { publicId: claims.sub })) > 0;
      return { ok: false, reason: userExists ? AuthReason.TOKEN_REVOKED : AuthReason.USER_NOT_FOUND };
    }
    const { session, user } = found;
    if (user.publicId !== claims.sub) return { ok: false, reason: AuthReason.TOKEN_INVALID };
    if (!isSessionActive(session, this.now())) return { ok: false, reason: AuthReason.TOKEN_REVOKED };
    return { ok: true, user, session: { id: session.id, publicId: session.publicId } };
  }

  /** The user's sessions that can still be used, most recently used first. */
  async listActive(em: EntityManager, user: Pick<User, 'id'>): Promise<Session[]> {
    const now = this.now();
    return em.find(
      Session,
      { user: user.id, revokedAt: null, expiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } },
      { orderBy: { lastUsedAt: 'desc', id: 'desc' } },
    );
  }

  async revoke(em: EntityManager, session: Pick<Session, 'id'>): Promise<boolean> {
    return (await em.nativeUpdate(Session, { id: session.id, revokedAt: null }, { revokedAt: this.now() })) > 0;
  }

  /** End the user's sessions, all of them or all but `except`. Returns how many were ended. */
  async revokeAllOf(em: EntityManager, user: Pick<User, 'id'>, except?: Pick<Session, 'id'>): Promise<number> {
    return em.nativeUpdate(
      Session,
      { user: user.id, revokedAt: null, ...(except ? { id: { $ne: except.id } } : {}) },
      { revokedAt: this.now() },
    );
  }

  /** End one session by its public id: the viewer's own, or anyone's for an ADMIN. Someone else's is NOT_FOUND to a USER. */
  async revokeById(em: EntityManager, viewer: Pick<User, 'id' | 'role'>, publicId: string): Promise<boolean> {
    const session = UUID.test(publicId) ? await em.findOne(Session, { publicId }) : null;
    if (!session || (session.user.id !== viewer.id && viewer.role !== Role.ADMIN)) {
      throw badUserInput('No session of yours has this id', InputReason.NOT_FOUND, { id: 'No session of yours has this id' });
    }
    return this.revoke(em, session);
  }
}
