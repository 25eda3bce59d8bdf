// Input rules for users, shared by signup and the user:create command. Pure functions.
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS } from '../passwords/passwords';
import { badUserInput, InputReason } from '../shared/errors';
import { COLUMN_LIMITS } from '../db/records';

export const MAX_EMAIL_CHARS = COLUMN_LIMITS.email;
export const MAX_NAME_CHARS = COLUMN_LIMITS.userName;

// WHATWG's "valid email address", plus a dot in the domain: what a browser's type=email accepts.
const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function emailProblem(email: string): string | undefined {
  if (email.length === 0) return 'Email is required';
  if (email.length > MAX_EMAIL_CHARS) return `Email must be at most ${MAX_EMAIL_CHARS} characters`;
  if (!EMAIL.test(email)) return 'Email is not a valid address';
  return undefined;
}

export function nameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length === 0) return 'Name is required';
  if (length > MAX_NAME_CHARS) return `Name must be at most ${MAX_NAME_CHARS} characters`;
  if (CONTROL_CHARS.test(name)) return 'Name must not contain control characters';
  return undefined;
}

export const PASSWORD_TOO_LONG = `Password must be at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`;

/** Checked before any hashing: the length test first, so a 1 MB string costs nothing. */
export function isPasswordTooLong(password: string): boolean {
  return password.length > MAX_PASSWORD_BYTES || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
}

export function passwordProblem(password: string): string | undefined {
  if (isPasswordTooLong(password)) return PASSWORD_TOO_LONG;
  if ([...password].length < MIN_PASSWORD_CHARS) return `Password must be at least ${MIN_PASSWORD_CHARS} characters`;
  return undefined;
}

export interface NewUserInput {
  name: string;
  email: string;
  password: string;
}

/** Normalise and validate a new user; throws BAD_USER_INPUT listing every field that is wrong. */
export function validateNewUser(input: NewUserInput): NewUserInput {
  const name = input.name.trim();
  const email = normalizeEmail(input.email);
  const problems = {
    name: nameProblem(name),
    email: emailProblem(email),
    password: passwordProblem(input.password),
  };
  const fields = Object.fromEntries(Object.entries(problems).filter(([, problem]) => problem !== undefined)) as Record<
    string,
    string
  >;
  if (Object.keys(fields).length > 0) {
    throw badUserInput('Invalid input: ' + Object.values(fields).join('; '), InputReason.INVALID_INPUT, fields);
  }
  return { name, email, password: input.password };
}
