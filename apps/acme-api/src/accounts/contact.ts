import { AcmeProblem, malformed } from '../acme/problems.js';

const MAX_CONTACTS = 10;
/** A single addr-spec without hfields (Boulder policy: one address per mailto URL). */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Validates `contact` (RFC 8555 §7.3): mailto URLs only, each one well-formed address. */
export function parseContacts(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw malformed('contact must be an array of URLs');
  if (value.length > MAX_CONTACTS) throw new AcmeProblem('invalidContact', `at most ${MAX_CONTACTS} contacts`);
  return value.map((c: unknown) => {
    if (typeof c !== 'string') throw malformed('each contact must be a string');
    if (!c.toLowerCase().startsWith('mailto:')) throw new AcmeProblem('unsupportedContact', `contact "${c}" is not a mailto: URL`);
    const address = c.slice('mailto:'.length);
    if (address.includes('?') || address.includes(',')) throw new AcmeProblem('invalidContact', `contact "${c}" must be one address without hfields`);
    if (!EMAIL.test(address)) throw new AcmeProblem('invalidContact', `contact "${c}" is not a valid e-mail address`);
    return `mailto:${address}`;
  });
}
