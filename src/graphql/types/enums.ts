// The domain's enums, registered for GraphQL here, in the GraphQL layer: the domain only defines them.
// GraphQL code imports them from this module, so that they are registered before any type uses them.
import { GraphQLEnumType } from 'graphql';
import { registerEnumType } from 'type-graphql';
import { LogoutScope } from '../../auth/auth.service';
import { SessionRestriction } from '../../shared/errors';
import { Role } from '../../shared/role';

export { LogoutScope, Role };

registerEnumType(Role, { name: 'Role', description: 'What a user may do: ADMINs manage other users.' });

registerEnumType(LogoutScope, {
  name: 'LogoutScope',
  description: 'Which sessions logout ends.',
  valuesConfig: {
    LOCAL: { description: 'This session.' },
    OTHERS: { description: 'Every other session of the user.' },
    GLOBAL: { description: 'Every session of the user, this one included.' },
  },
});

/** Only the guard's directive uses it (no field returns it), so it is built here and added with the directive. */
export const SESSION_RESTRICTION_TYPE = new GraphQLEnumType({
  name: 'SessionRestriction',
  description: 'What a session still owes before it may call every field its user may: the FORBIDDEN reason of the fields it may not.',
  values: {
    EMAIL_NOT_VERIFIED: { value: SessionRestriction.EMAIL_NOT_VERIFIED, description: "The user's email address is not verified yet (REQUIRE_EMAIL_VERIFICATION)." },
    MFA_REQUIRED: { value: SessionRestriction.MFA_REQUIRED, description: 'The user has a second factor, and this session has not proven it yet.' },
  },
});
