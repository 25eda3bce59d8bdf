import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requestMeta, type Context } from '../context';
import { Guarded } from '../guard';
import type { AuthService } from '../../auth/auth.service';
import { Role } from '../types/enums';
import { DEFAULT_PAGE_SIZE, type UserService } from '../../users/user.service';
import { PageInfo, toUserView, UserConnection, UserView } from '../types/user.types';
import { SessionRestriction } from '../../shared/errors';

@Resolver()
export class UserResolver {
  constructor(
    private readonly userService: UserService,
    private readonly auth: AuthService,
  ) {}

  // A restricted session may still see whose it is.
  @Guarded({ allow: [SessionRestriction.EMAIL_NOT_VERIFIED, SessionRestriction.MFA_REQUIRED] })
  @Query(() => UserView, { description: 'The user of the access token.' })
  me(@Ctx() { user }: Context): UserView {
    // The guard has run: user is set.
    return toUserView(user!, user);
  }

  @Guarded()
  @Query(() => UserConnection, { description: 'All users, newest first. `first` is 1..100; pass `endCursor` as `after` for the next page.' })
  async users(
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { user }: Context,
  ): Promise<UserConnection> {
    const page = await this.userService.listUsers(first ?? DEFAULT_PAGE_SIZE, after);
    const pageInfo: PageInfo = { hasNextPage: page.hasNextPage, endCursor: page.endCursor };
    return { nodes: page.users.map((node) => toUserView(node, user)), pageInfo, totalCount: page.totalCount };
  }

  @Guarded(Role.ADMIN)
  @Mutation(() => UserView, { description: "ADMIN only: give a user a role. Ends the user's sessions." })
  async setUserRole(
    @Arg('id', () => ID) id: string,
    @Arg('role', () => Role) role: Role,
    @Ctx() context: Context,
  ): Promise<UserView> {
    return toUserView(await this.auth.setUserRole(context.user!, id, role, requestMeta(context)), context.user);
  }

  @Guarded(Role.ADMIN)
  @Mutation(() => Boolean, { description: 'ADMIN only: delete a user, and with them their sessions. The last ADMIN cannot be deleted.' })
  async deleteUser(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    await this.auth.deleteUser(context.user!, id, requestMeta(context));
    return true;
  }
}
