import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { AuthService } from '../../auth/auth.service';
import { requestMeta, type Context } from '../context';
import { Guarded } from '../guard';
import { TotpEnrollment } from '../types/auth.types';

/** Managing the second factor; proving it is verifyMfa (auth.resolver.ts), which returns a pair. */
@Resolver()
export class MfaResolver {
  constructor(private readonly auth: AuthService) {}

  @Guarded()
  @Mutation(() => TotpEnrollment, {
    description: 'Start turning TOTP on: a new pending secret (replacing any earlier one) and its QR code. With TOTP on, needs an aal2 session.',
  })
  startTotpEnrollment(@Ctx() context: Context): Promise<TotpEnrollment> {
    return this.auth.startTotpEnrollment(context.user!, context.session!, requestMeta(context));
  }

  @Guarded()
  @Mutation(() => [String], {
    description:
      "Turn TOTP on with a current code of the pending secret: raises this session to aal2, ends the user's other sessions, and returns 10 single-use recovery codes, shown only this once.",
  })
  confirmTotpEnrollment(@Arg('code', () => String) code: string, @Ctx() context: Context): Promise<string[]> {
    return this.auth.confirmTotpEnrollment(context.user!, context.session!, code, requestMeta(context));
  }

  @Guarded()
  @Mutation(() => Boolean, { description: 'Turn TOTP off: needs the current password and an aal2 session. Deletes the secret and the recovery codes.' })
  async disableTotp(@Arg('currentPassword', () => String) currentPassword: string, @Ctx() context: Context): Promise<boolean> {
    await this.auth.disableTotp(context.user!, context.session!, currentPassword, requestMeta(context));
    return true;
  }

  @Guarded()
  @Mutation(() => [String], { description: 'Replace the recovery codes with 10 new ones (shown only this once): needs the current password and an aal2 session.' })
  regenerateRecoveryCodes(@Arg('currentPassword', () => String) currentPassword: string, @Ctx() context: Context): Promise<string[]> {
    return this.auth.regenerateRecoveryCodes(context.user!, context.session!, currentPassword, requestMeta(context));
  }
}
