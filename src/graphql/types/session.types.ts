import { DateTimeISOResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { SessionRecord } from '../../db/records';

@ObjectType('Session', { description: 'A login: opened by signup or login, kept alive by refreshToken.' })
export class SessionView {
  @Field(() => ID, { description: "Public UUID: the access token's sid." })
  id!: string;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { description: 'The last login or refresh.' })
  lastUsedAt!: Date;

  @Field(() => DateTimeISOResolver, { description: 'When it ends unless refreshed (never later than the absolute limit).' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => Boolean, { description: 'The session of the access token of this request.' })
  current!: boolean;
}

export function toSessionView(session: SessionRecord, current: Pick<SessionRecord, 'id'> | undefined): SessionView {
  return {
    id: session.publicId,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: new Date(Math.min(session.expiresAt.getTime(), session.absoluteExpiresAt.getTime())),
    userAgent: session.userAgent ?? null,
    current: current !== undefined && current.id === session.id,
  };
}
