// What the recovery emails say: a subject, a plain-text part with the link on a line of its own (so that every
// mail client makes it clickable, and tests find it), and an HTML part. The link is the only secret in them.
import type { OutgoingMail } from '../db/outbox.store';

export type Message = Pick<OutgoingMail, 'subject' | 'text' | 'html'>;

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "30 minutes", "24 hours", "1 day and 2 hours" is not needed: the largest whole unit that fits. */
export function inWords(seconds: number): string {
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, name] = units.find(([each]) => seconds % each === 0 && seconds >= each) ?? [1, 'second'];
  const count = seconds / size;
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}

function compose(subject: string, before: string[], link: string | undefined, after: string[]): Message {
  const text = [...before, ...(link ? ['', link, ''] : ['']), ...after].join('\n') + '\n';
  const paragraphs = [
    ...before.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`] : []),
    ...after.map((line) => `<p>${escapeHtml(line)}</p>`),
  ];
  const html = `<!doctype html>\n<html><body>\n${paragraphs.join('\n')}\n</body></html>\n`;
  return { subject, text, html };
}

export function passwordResetMessage(link: string, ttlSeconds: number): Message {
  return compose(
    'Reset your password',
    ['Someone asked to reset the password of the account with this email address. To choose a new password, open this link:'],
    link,
    [`The link works once, for ${inWords(ttlSeconds)}. If you did not ask for it, ignore this email: your password stays as it is.`],
  );
}

export function emailVerificationMessage(link: string, ttlSeconds: number): Message {
  return compose(
    'Verify your email address',
    ['Please confirm that this email address is yours by opening this link:'],
    link,
    [`The link works once, for ${inWords(ttlSeconds)}. If you did not sign up, ignore this email.`],
  );
}

export function emailChangeMessage(link: string, ttlSeconds: number): Message {
  return compose(
    'Confirm your new email address',
    ['Someone asked to make this the email address of their account. To confirm the change, open this link:'],
    link,
    [`The link works once, for ${inWords(ttlSeconds)}. Until it is opened nothing changes. If you did not ask for it, ignore this email.`],
  );
}

/** To the old address: no link, nothing that changes anything. */
export function emailChangeNotice(): Message {
  return compose(
    'Your email address is about to change',
    [
      'Someone asked to change the email address of your account to another address. The change happens only when the link sent to the new address is opened.',
    ],
    undefined,
    ['If this was you, there is nothing to do. If it was not, change your password now: whoever asked knew it.'],
  );
}
