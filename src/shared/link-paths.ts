// The paths of the pages the emailed links open, written once: config builds the default links from APP_URL
// and them (`${APP_URL}/reset-password?token=…`), and the HTTP edge serves a page at each (src/http/recovery-pages.ts).

export const LinkPath = {
  RESET_PASSWORD: '/reset-password',
  VERIFY_EMAIL: '/verify-email',
} as const;
export type LinkPath = (typeof LinkPath)[keyof typeof LinkPath];
