// Signup and login: the rules that turn credentials into a signed access token.
import type { EntityManager } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { AuthReason, badUserInput, ErrorCode, InputReason, unauthenticated } from '../errors';
import { User } from '../users/user.entity';
import type { UserService } from '../users/user.service';
import { isPasswordTooLong, normalizeEmail, PASSWORD_TOO_LONG, type NewUserInput } from '../users/user.validation';
import type { PasswordHasher } from './passwords';
import type { IssuedToken, TokenService } from './tokens';

export interface AuthResult {
  user: User;
  access: IssuedToken;
}

export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
  ) {}

  async signup(em: EntityManager, input: NewUserInput): Promise<AuthResult> {
    const user = await this.users.createUser(em, input);
    return { user, access: this.issue(user) };
  }

  /** One answer, INVALID_CREDENTIALS, for an unknown email and a wrong password alike, after the same bcrypt work. */
  async login(em: EntityManager, input: { email: string; password: string }): Promise<AuthResult> {
    if (isPasswordTooLong(input.password)) {
      // Refused before any hashing: no stored password can be this long.
      throw badUserInput(PASSWORD_TOO_LONG, InputReason.INVALID_INPUT, { password: PASSWORD_TOO_LONG });
    }
    const user = await em.findOne(User, { email: normalizeEmail(input.email) }, { populate: ['passwordHash'] });
    if (!user) {
      await this.hasher.verifyDummy(input.password);
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    if (!(await this.hasher.verify(input.password, user.passwordHash))) {
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    if (this.hasher.needsRehash(user.passwordHash)) {
      // The password was right: when the pool is too busy to re-hash, log in anyway and upgrade next time.
      const upgraded = await this.hasher.hash(input.password).catch((error: unknown) => {
        if (error instanceof GraphQLError && error.extensions.code === ErrorCode.SERVICE_UNAVAILABLE) return undefined;
        throw error;
      });
      if (upgraded) await this.users.replacePasswordHash(em, user, upgraded);
    }
    return { user, access: this.issue(user) };
  }

  private issue(user: User): IssuedToken {
    return this.tokens.signAccessToken({ id: user.publicId, role: user.role });
  }
}
