import { classifyPath } from './routes.js';

describe(classifyPath.name, () => {
  it.each([
    ['Windows appends /pkiclient.exe', '/certsrv/mscep/mscep.dll/pkiclient.exe', { kind: 'scep', profile: 'default' }],
    ['NDES base URL', '/certsrv/mscep/mscep.dll', { kind: 'scep', profile: 'default' }],
    ['case-insensitive', '/CertSrv/MSCEP/Mscep.dll/PkiClient.exe', { kind: 'scep', profile: 'default' }],
    ['generic', '/scep', { kind: 'scep', profile: 'default' }],
    ['generic with pkiclient.exe', '/scep/pkiclient.exe', { kind: 'scep', profile: 'default' }],
    ['Cisco', '/cgi-bin/pkiclient.exe', { kind: 'scep', profile: 'default' }],
    ['profile', '/scep/Intune/pkiclient.exe', { kind: 'scep', profile: 'intune' }],
    ['profile without pkiclient.exe, trailing slash', '/scep/intune/', { kind: 'scep', profile: 'intune' }],
    ['admin page', '/certsrv/mscep_admin/', { kind: 'admin' }],
    ['admin page without slash (IIS redirects)', '/CertSrv/mscep_admin', { kind: 'admin-redirect' }],
  ])('%s: %s', (_n, path, expected) => {
    expect(classifyPath(path)).toEqual(expected);
  });

  it.each(['/', '/other', '/scep/a/b/pkiclient.exe', '/certsrv/mscep/x.dll', '/%E0%A4%A'])('%s is not a SCEP path', (path) => {
    expect(classifyPath(path)).toBeUndefined();
  });
});
