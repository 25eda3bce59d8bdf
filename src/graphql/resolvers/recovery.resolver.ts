import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RecoveryService } from '../../recovery/recovery.service';
import { SessionRestriction } from '../../shared/errors';
import { toAuthPayload } from '../auth-payload';
import { requestMeta, type Context } from '../context';
import type { DeviceCookie } from '../device-cookie';
import { Guarded, Public } from '../guard';
import type { RefreshTransport } from '../refresh-transport';
import { AuthPayload } from '../types/auth.types';
import { toUserView, UserView } from '../types/user.types';

/** Password reset, email verification and email change: each by a single-use link sent by email. */
@Resolver()
export class RecoveryResolver {
  constructor(
    private readonly recovery: RecoveryService,
    private readonly transport: RefreshTransport,
    private readonly deviceCookie: DeviceCookie,
  ) {}

  @Public()
  @Mutation(() => Boolean, {
    description: 'Email a password-reset link to this address if an account has it. Always true, in the same time, for any address.',
  })
  async requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() context: Context): Promise<boolean> {
    await this.recovery.requestPasswordReset(email, requestMeta(context));
    return true;
  }

  @Public()
  @Mutation(() => AuthPayload, {
    description:
      "Set a new password with a reset link's token: marks the email verified, ends every session of the user, and returns a new pair for a new session.",
  })
  async resetPassword(
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() context: Context,
  ): Promise<AuthPayload> {
    return toAuthPayload(await this.recovery.resetPassword(token, newPassword, requestMeta(context)), context, this.transport, this.deviceCookie);
  }

  // A way out of EMAIL_NOT_VERIFIED.
  @Guarded({ allow: [SessionRestriction.EMAIL_NOT_VERIFIED] })
  @Mutation(() => Boolean, { description: 'Email a fresh verification link to your address (nothing when it is verified already). Always true.' })
  async requestEmailVerification(@Ctx() context: Context): Promise<boolean> {
    await this.recovery.requestEmailVerification(context.user!, requestMeta(context));
    return true;
  }

  @Public()
  @Mutation(() => UserView, {
    description:
      "Follow a verification or email-change link: the address is verified (or becomes the new one, verified, ending every session of the user but the one whose access token comes with this call). Returns the user as they see themself.",
  })
  async verifyEmail(@Arg('token', () => String) token: string, @Ctx() context: Context): Promise<UserView> {
    const caller = context.user && context.session ? { user: context.user, session: context.session } : undefined;
    const user = await this.recovery.verifyEmail(token, caller, requestMeta(context));
    // The link proved the address is theirs: the follower sees it.
    return toUserView(user, user);
  }

  // A mistyped address at signup is fixed from the unverified session itself.
  @Guarded({ allow: [SessionRestriction.EMAIL_NOT_VERIFIED] })
  @Mutation(() => Boolean, {
    description:
      'Ask to change your email address: needs the current password. Nothing changes until the link emailed to the new address is followed (verifyEmail); the old address gets a notice.',
  })
  async changeEmail(
    @Arg('newEmail', () => String) newEmail: string,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    await this.recovery.changeEmail(context.user!, { newEmail, currentPassword }, requestMeta(context));
    return true;
  }
}
