import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { toUserView } from '../users/user.types';
import type { AuthResult, AuthService } from './auth.service';
import { AuthPayload, LoginInput, SignupInput } from './auth.types';
import { Public } from './guard';

function toPayload({ user, access }: AuthResult): AuthPayload {
  return { accessToken: access.token, tokenType: 'Bearer', expiresIn: access.expiresIn, user: toUserView(user, user) };
}

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Mutation(() => AuthPayload, { description: 'Create an account and log in.' })
  async signup(@Arg('input', () => SignupInput) input: SignupInput, @Ctx() { em, requestId, clientIp }: Context): Promise<AuthPayload> {
    return toPayload(await this.auth.signup(em, input, { requestId, clientIp }));
  }

  @Public()
  @Mutation(() => AuthPayload, { description: 'Exchange an email and password for an access token.' })
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() { em, requestId, clientIp }: Context): Promise<AuthPayload> {
    return toPayload(await this.auth.login(em, input, { requestId, clientIp }));
  }
}
