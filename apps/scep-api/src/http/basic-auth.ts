import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** HTTP Basic (RFC 7617) check in constant time; a DOMAIN\user prefix is ignored, as IIS does for the local account. */
export function checkBasicAuth(header: string | undefined, user: string, password: string): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const givenUser = decoded.slice(0, colon).replace(/^[^\\]*\\/, '');
  const userOk = timingSafeEqual(digest(givenUser.toLowerCase()), digest(user.toLowerCase()));
  const passwordOk = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(password));
  return userOk && passwordOk;
}
