// The recovery suites' mail reader: the messages the app sent to an address, as the test SMTP server
// received them, and the token in a message's link.
import type { ParsedMail, TestSmtp } from './smtp';

/** Whether `m` was addressed to `address`. */
export function isTo(m: ParsedMail, address: string): boolean {
  const to = m.to === undefined ? [] : Array.isArray(m.to) ? m.to : [m.to];
  return to.some((each) => each.value.some((mailbox) => mailbox.address?.toLowerCase() === address.toLowerCase()));
}

export const SUBJECTS = {
  passwordReset: 'Reset your password',
  emailVerification: 'Verify your email address',
  emailChange: 'Confirm your new email address',
  emailChangeNotice: 'Your email address is about to change',
} as const;

/** The next message to `address` with `subject` (received already, or within the helper's bound). */
export function nextMail(smtp: TestSmtp, address: string, subject: string): Promise<ParsedMail> {
  return smtp.nextMessage((m) => isTo(m, address) && m.subject === subject);
}

/** The `token` query parameter of a message's link. */
export function tokenIn(smtp: TestSmtp, m: ParsedMail): string {
  const token = new URL(smtp.linkIn(m)).searchParams.get('token');
  if (!token) throw new Error('the link has no token');
  return token;
}

/** The next link of `subject` to `address`, as its token. */
export async function nextToken(smtp: TestSmtp, address: string, subject: string): Promise<string> {
  return tokenIn(smtp, await nextMail(smtp, address, subject));
}
