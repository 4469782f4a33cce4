/**
 * Which SCEP endpoint a request path is, matched case-insensitively (IIS users write /CertSrv/…).
 * The Windows client appends /pkiclient.exe to whatever ServerURL the profile gives
 * (research/scep-windows.md §0.1; micromdm#238 was a 404 on exactly that), so every SCEP base
 * path is served with and without it, and with a trailing slash.
 */
export type ScepRoute = { kind: 'scep'; profile: string } | { kind: 'admin' } | { kind: 'admin-redirect' };

const PKICLIENT = /\/pkiclient\.exe$/;

export function classifyPath(rawPath: string): ScepRoute | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  path = path.toLowerCase().replace(/\/{2,}/g, '/');
  if (path === '/certsrv/mscep_admin/' || path === '/certsrv/mscep_admin/default.aspx') return { kind: 'admin' };
  if (path === '/certsrv/mscep_admin') return { kind: 'admin-redirect' };
  const base = path.replace(/\/+$/, '').replace(PKICLIENT, '');
  if (base === '/certsrv/mscep/mscep.dll' || base === '/scep' || base === '/cgi-bin' || base === '') {
    // '' only for a bare /pkiclient.exe
    return path.endsWith('/pkiclient.exe') || base !== '' ? { kind: 'scep', profile: 'default' } : undefined;
  }
  const m = /^\/scep\/([a-z0-9][a-z0-9_.-]{0,63})$/.exec(base);
  if (m) return { kind: 'scep', profile: m[1]! };
  return undefined;
}
