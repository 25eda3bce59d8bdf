// Signup and login: the rules that turn credentials into a signed access token.
import type { EntityManager } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { AuthReason, badUserInput, ErrorCode, InputReason, unauthenticated } from '../errors';
import type { Logger } from '../logger';
import type { AuthLimits } from '../security/limits';
import { User } from '../users/user.entity';
import type { UserService } from '../users/user.service';
import { isPasswordTooLong, normalizeEmail, PASSWORD_TOO_LONG, type NewUserInput } from '../users/user.validation';
import type { PasswordHasher } from './passwords';
import type { IssuedToken, TokenService } from './tokens';

export interface AuthResult {
  user: User;
  access: IssuedToken;
}

/** Who is asking: for rate limits and the audit log. */
export interface RequestMeta {
  requestId: string;
  clientIp: string;
}

export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly limits: AuthLimits,
    private readonly log: Logger,
  ) {}

  async signup(em: EntityManager, input: NewUserInput, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('signup', meta, () => this.limits.consumeIp('signup', meta.clientIp));
    const user = await this.users.createUser(em, input);
    this.event('signup', meta, { userId: user.publicId });
    return { user, access: this.issue(user) };
  }

  /**
   * One answer, INVALID_CREDENTIALS, for an unknown email and a wrong password alike, after the same bcrypt work.
   * Limits are checked first, so a limited attempt costs no bcrypt work and reveals nothing about the password.
   */
  async login(em: EntityManager, input: { email: string; password: string }, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('login', meta, () => this.limits.consumeIp('login', meta.clientIp));
    if (isPasswordTooLong(input.password)) {
      // Refused before any hashing: no stored password can be this long.
      throw badUserInput(PASSWORD_TOO_LONG, InputReason.INVALID_INPUT, { password: PASSWORD_TOO_LONG });
    }
    const email = normalizeEmail(input.email);
    await this.limited('login', meta, () => this.limits.checkAccount(email));

    const user = await em.findOne(User, { email }, { populate: ['passwordHash'] });
    const valid = user ? await this.hasher.verify(input.password, user.passwordHash) : await this.hasher.verifyDummy(input.password);
    if (!user || !valid) {
      await this.limits.loginFailed(email);
      this.event('login.failure', meta, { userId: user?.publicId });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await this.limits.loginSucceeded(email);
    if (this.hasher.needsRehash(user.passwordHash)) {
      // The password was right: when the pool is too busy to re-hash, log in anyway and upgrade next time.
      const upgraded = await this.hasher.hash(input.password).catch((error: unknown) => {
        if (error instanceof GraphQLError && error.extensions.code === ErrorCode.SERVICE_UNAVAILABLE) return undefined;
        throw error;
      });
      if (upgraded) await this.users.replacePasswordHash(em, user, upgraded);
    }
    this.event('login.success', meta, { userId: user.publicId });
    return { user, access: this.issue(user) };
  }

  private async limited(operation: string, meta: RequestMeta, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.RATE_LIMITED) {
        this.event('rate_limited', meta, { operation, retryAfter: error.extensions.retryAfter });
      }
      throw error;
    }
  }

  /** One log line per auth event; never a password, hash or token. */
  private event(event: string, meta: RequestMeta, fields: Record<string, unknown>): void {
    this.log.info({ event, requestId: meta.requestId, ip: meta.clientIp, ...fields }, event);
  }

  private issue(user: User): IssuedToken {
    return this.tokens.signAccessToken({ id: user.publicId, role: user.role });
  }
}
