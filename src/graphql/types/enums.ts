import { registerEnumType } from 'type-graphql';
import { Role } from '../../shared/role';

export { Role };

registerEnumType(Role, { name: 'Role', description: 'What a user may do: ADMINs manage other users.' });
