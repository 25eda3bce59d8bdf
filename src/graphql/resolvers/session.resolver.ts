import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AuthService } from '../../auth/auth.service';
import { Guarded } from '../guard';
import { requestMeta, type Context } from '../context';
import type { SessionService } from '../../sessions/session.service';
import { SessionView, toSessionView } from '../types/session.types';

@Resolver()
export class SessionResolver {
  constructor(
    private readonly sessionService: SessionService,
    private readonly auth: AuthService,
  ) {}

  @Guarded()
  @Query(() => [SessionView], { description: 'Your active sessions, most recently used first.' })
  async sessions(@Ctx() { user, session }: Context): Promise<SessionView[]> {
    return (await this.sessionService.listActive(user!)).map((each) => toSessionView(each, session));
  }

  @Guarded()
  @Mutation(() => Boolean, {
    description: 'End one of your sessions (an ADMIN: anyone\'s). True if it was active, false if it had already ended.',
  })
  async revokeSession(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    return this.auth.revokeSession(context.user!, id, requestMeta(context));
  }
}
