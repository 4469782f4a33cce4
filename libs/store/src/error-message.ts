/**
 * The message of anything thrown. Duck-typed, because errors from another realm (Jest's VM
 * sandbox) fail `instanceof Error`; an AggregateError (e.g. ECONNREFUSED on both ::1 and
 * 127.0.0.1) has an empty message and the reasons in `errors`.
 */
export function errorMessage(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    if ('message' in e && typeof e.message === 'string' && e.message !== '') return e.message;
    if ('errors' in e && Array.isArray(e.errors) && e.errors.length > 0) return e.errors.map(errorMessage).join('; ');
  }
  return String(e);
}
