/**
 * AD CS template names as configured by an operator: 1–64 characters (the template's cn), no
 * control characters. A line break would end the `CertificateTemplate:` request attribute and
 * start another (MS-WCCE 3.2.1.4.2.1.2 attribute lines), so it is never allowed.
 */
const CONFIGURED = /^(?=.{1,64}$)[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/;

/** Template names a client may send (a `template=` token, a profile name): no spaces, no punctuation beyond `_ . -`. */
const FROM_CLIENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isConfiguredTemplateName(name: string): boolean {
  return CONFIGURED.test(name);
}

export function isClientTemplateName(name: string): boolean {
  return FROM_CLIENT.test(name);
}
