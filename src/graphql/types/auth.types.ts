import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { UserView } from './user.types';

@ObjectType()
export class AuthPayload {
  @Field(() => String)
  accessToken!: string;

  @Field(() => String, { description: 'Always "Bearer".' })
  tokenType!: 'Bearer';

  @Field(() => Int, { description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @Field(() => String, { nullable: true, description: 'The refresh token for refreshToken(token:); null in cookie mode, where it travels only in an HttpOnly cookie.' })
  refreshToken!: string | null;

  @Field(() => Int, { description: 'Seconds until the refresh token expires.' })
  refreshExpiresIn!: number;

  @Field(() => UserView, { description: "The viewer's own record: its email is visible." })
  user!: UserView;

  @Field(() => Boolean, {
    description: 'True when the session still owes a second factor (the user has TOTP on): it may call only me, verifyMfa and logout until verifyMfa.',
  })
  mfaRequired!: boolean;
}

@ObjectType({ description: 'A pending TOTP enrollment: put the secret into an authenticator app, then confirmTotpEnrollment with a code.' })
export class TotpEnrollment {
  @Field(() => String, { description: 'The secret, base32: for typing into an app that cannot scan.' })
  secret!: string;

  @Field(() => String, { description: 'otpauth://totp/ISSUER:EMAIL?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30' })
  otpauthUrl!: string;

  @Field(() => String, { description: 'The otpauthUrl as a QR code: raw SVG markup (inline it, or make a data: URL of it).' })
  qrCodeSvg!: string;
}

@InputType()
export class SignupInput {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}
