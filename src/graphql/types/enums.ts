// The domain's enums, registered for GraphQL here, in the GraphQL layer: the domain only defines them.
// GraphQL code imports them from this module, so that they are registered before any type uses them.
import { registerEnumType } from 'type-graphql';
import { LogoutScope } from '../../auth/auth.service';
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
