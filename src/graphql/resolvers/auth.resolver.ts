import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { requestMeta, type Context } from '../context';
import { AuthReason, DomainError, SessionRestriction } from '../../shared/errors';
import { toAuthPayload } from '../auth-payload';
import type { AuthResult, AuthService } from '../../auth/auth.service';
import { LogoutScope } from '../types/enums';
import { AuthPayload, LoginInput, SignupInput } from '../types/auth.types';
import type { DeviceCookie } from '../device-cookie';
import { Guarded, Public } from '../guard';
import type { RefreshTransport } from '../refresh-transport';

/** Answers that mean the refresh token itself is of no further use; anything else (a limit, a busy server) says nothing about it. */
const DEAD_REFRESH_TOKEN = new Set<unknown>([
  AuthReason.REFRESH_TOKEN_INVALID,
  AuthReason.REFRESH_TOKEN_EXPIRED,
  AuthReason.REFRESH_TOKEN_REUSED,
  AuthReason.TOKEN_REVOKED,
]);

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly transport: RefreshTransport,
    private readonly deviceCookie: DeviceCookie,
  ) {}

  private payload(result: AuthResult, context: Context): AuthPayload {
    return toAuthPayload(result, context, this.transport, this.deviceCookie);
  }

  @Public()
  @Mutation(() => AuthPayload, { description: 'Create an account and log in: opens a session.' })
  async signup(@Arg('input', () => SignupInput) input: SignupInput, @Ctx() context: Context): Promise<AuthPayload> {
    return this.payload(await this.auth.signup(input, requestMeta(context)), context);
  }

  @Public()
  @Mutation(() => AuthPayload, { description: 'Exchange an email and password for a token pair: opens a session.' })
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() context: Context): Promise<AuthPayload> {
    return this.payload(await this.auth.login(input, requestMeta(context)), context);
  }

  @Public()
  @Mutation(() => AuthPayload, {
    description:
      'Spend a refresh token for a new pair. Without `token`, in cookie mode, the refresh cookie is used. A token presented again after REFRESH_REUSE_GRACE ends its session.',
  })
  async refreshToken(@Arg('token', () => String, { nullable: true }) token: string | null, @Ctx() context: Context): Promise<AuthPayload> {
    const presented = this.transport.read(context.http, token);
    try {
      return this.payload(await this.auth.refresh(presented, requestMeta(context)), context);
    } catch (error) {
      // A dead cookie is of no further use to the browser; a live one must survive a 429 or a 503.
      const dead = error instanceof DomainError && DEAD_REFRESH_TOKEN.has(error.reason);
      if (dead && (token === null || token === undefined)) this.transport.clear(context.http);
      throw error;
    }
  }

  // A restricted session may always end itself.
  @Guarded({ allow: [SessionRestriction.EMAIL_NOT_VERIFIED, SessionRestriction.MFA_REQUIRED] })
  @Mutation(() => Boolean, { description: 'End this session (LOCAL), every other session (OTHERS), or all of them (GLOBAL).' })
  async logout(
    @Arg('scope', () => LogoutScope, { nullable: true, defaultValue: LogoutScope.LOCAL }) scopeArg: LogoutScope | null,
    @Ctx() context: Context,
  ): Promise<boolean> {
    const scope = scopeArg ?? LogoutScope.LOCAL;
    await this.auth.logout(context.user!, context.session!, scope, requestMeta(context));
    if (scope !== LogoutScope.OTHERS) this.transport.clear(context.http);
    return true;
  }

  @Guarded()
  @Mutation(() => AuthPayload, {
    description: 'Change your password: needs the current one. Ends every session, and returns a new pair for a new session.',
  })
  async changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() context: Context,
  ): Promise<AuthPayload> {
    const result = await this.auth.changePassword(context.user!, context.session!, { currentPassword, newPassword }, requestMeta(context));
    return this.payload(result, context);
  }

  // The way out of MFA_REQUIRED; allowed before the email is verified too, so a session owing both is never stuck.
  @Guarded({ allow: [SessionRestriction.EMAIL_NOT_VERIFIED, SessionRestriction.MFA_REQUIRED] })
  @Mutation(() => AuthPayload, {
    description:
      'Prove the second factor with a 6-digit TOTP code or an unused recovery code: raises this session to aal2 and returns a new pair (the refresh tokens it had stop working).',
  })
  async verifyMfa(@Arg('code', () => String) code: string, @Ctx() context: Context): Promise<AuthPayload> {
    return this.payload(await this.auth.verifyMfa(context.user!, context.session!, code, requestMeta(context)), context);
  }
}
