// The user of a request as resolvers see them: a plain record read by raw SQL, no password hash, never a
// managed entity.
import { Role } from './role';

export interface Viewer {
  id: number;
  publicId: string;
  name: string;
  email: string;
  role: Role;
  createdAt: Date;
}

/** The users columns a Viewer is read from (dates are stored as epoch milliseconds). */
export interface ViewerRow {
  user_id: number;
  user_public_id: string;
  name: string;
  email: string;
  role: string;
  created_at: number;
}

/** The users columns of a ViewerRow, for a select from `users u`. */
export const VIEWER_COLUMNS = 'u.id as user_id, u.public_id as user_public_id, u.name, u.email, u.role, u.created_at';

const ROLES = new Set<string>(Object.values(Role));

export function viewerFromRow(row: ViewerRow): Viewer {
  if (!ROLES.has(row.role)) throw new Error(`Unknown role in the database for user ${row.user_public_id}`);
  return {
    id: row.user_id,
    publicId: row.user_public_id,
    name: row.name,
    email: row.email,
    role: row.role as Role,
    createdAt: new Date(row.created_at),
  };
}
