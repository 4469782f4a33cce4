/** Request headers as Node and Fastify hand them over (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * acme2certifier names headers the WSGI/CGI way in `header_info_list` (`HTTP_USER_AGENT`);
 * the HTTP header is `user-agent`. CONTENT_TYPE and CONTENT_LENGTH have no HTTP_ prefix in CGI.
 * Other CGI variables (REMOTE_ADDR, …) are not headers: undefined.
 */
export function headerNameOf(cgiName: string): string | undefined {
  const name = cgiName.trim().toUpperCase();
  if (name === 'CONTENT_TYPE' || name === 'CONTENT_LENGTH') return name.toLowerCase().replace(/_/g, '-');
  if (!/^HTTP_[A-Z0-9_]+$/.test(name)) return undefined;
  return name.slice(5).toLowerCase().replace(/_/g, '-');
}

/** The value of the header a `header_info_list` entry names, repeated headers joined by ", ". */
export function headerValue(headers: RequestHeaders | undefined, cgiName: string): string | undefined {
  const name = headerNameOf(cgiName);
  if (!headers || name === undefined) return undefined;
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(', ');
}

/**
 * The `template=` token of a header value (acme2certifier header_info_lookup): the value is
 * split at whitespace and the first token named `template` (any case) gives the value after
 * its first `=`, case kept. `lego --user-agent "x template=User"` → `User`. acme2certifier
 * takes any token that merely contains "template" and fails on one without "="; we take the
 * token whose name is exactly `template`, and ignore an empty value.
 */
export function templateFromHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  for (const token of value.split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0 || token.slice(0, eq).toLowerCase() !== 'template') continue;
    const template = token.slice(eq + 1);
    return template === '' ? undefined : template;
  }
  return undefined;
}
