import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Role } from './enums';
import type { UserRecord } from '../../db/records';

/** What a viewer may see of a user. Built by `toUserView`, which decides whether the email is visible. */
@ObjectType('User')
export class UserView {
  @Field(() => ID, { description: 'Public UUID; never the database row id.' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Visible to the user themself and to ADMINs; null for everyone else.' })
  email!: string | null;

  @Field(() => Role)
  role!: Role;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => Boolean, { nullable: true, description: 'Whether TOTP is on. Visible where email is (the user themself, ADMINs); null for everyone else.' })
  mfaEnabled!: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether the email address is verified (a link sent to it was followed). Visible where email is; null for everyone else.',
  })
  emailVerified!: boolean | null;
}

/** The viewer sees an email only when it is their own or they are an ADMIN. */
export function toUserView(
  user: Pick<UserRecord, 'id' | 'publicId' | 'name' | 'email' | 'role' | 'createdAt' | 'mfaEnabled' | 'emailVerified'>,
  viewer: { id: number; role: Role } | undefined,
): UserView {
  const emailVisible = viewer !== undefined && (viewer.id === user.id || viewer.role === Role.ADMIN);
  return {
    id: user.publicId,
    name: user.name,
    email: emailVisible ? user.email : null,
    role: user.role,
    createdAt: user.createdAt,
    mfaEnabled: emailVisible ? user.mfaEnabled : null,
    emailVerified: emailVisible ? user.emailVerified : null,
  };
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class UserConnection {
  @Field(() => [UserView])
  nodes!: UserView[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
