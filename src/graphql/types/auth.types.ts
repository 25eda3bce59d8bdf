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
