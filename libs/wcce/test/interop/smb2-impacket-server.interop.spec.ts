/**
 * Our SmbServer (the transport half of adcs-sim) driven by a third-party client: impacket
 * (Debian `python3-impacket`), as acme2certifier and Certipy use it. It sends an SMB1
 * multi-protocol NEGOTIATE first, then SMB2; it authenticates with NTLM in SPNEGO; it reads pipes
 * with READ (following STATUS_PENDING) and transacts with FSCTL_PIPE_TRANSCEIVE.
 * Skipped, with a warning, when impacket is not installed (apt-get install -y python3-impacket).
 */
import { execFileSync, spawn } from 'node:child_process';
import { NtlmAcceptorContext, ntHash } from '../../src/ntlm/index.js';
import { SmbServer } from '../../src/smb2/server/server.js';
import { ScriptedPipe } from '../../src/smb2/testing/test-pipes.js';
import { MechOid, SpnegoContext } from '../../src/spnego/index.js';

/** Debian's impacket lives in the system Python; a pyenv/venv `python3` first on PATH lacks it. */
function findImpacketPython(): string | undefined {
  for (const python of [process.env['IMPACKET_PYTHON'], '/usr/bin/python3', 'python3']) {
    if (!python) continue;
    try {
      execFileSync(python, ['-c', 'import impacket.smbconnection'], {
        stdio: 'ignore',
      });
      return python;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** One impacket session: login, IPC$, open the pipe, WRITE+READ, transceive, close; prints JSON. */
const CLIENT = `
import json, sys
from impacket.smbconnection import SMBConnection, SessionError
from impacket import smb3structs as s3
port, dialect, password, pipe = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
pref = {'2.0.2': s3.SMB2_DIALECT_002, '2.1': s3.SMB2_DIALECT_21, '3.0': s3.SMB2_DIALECT_30, 'auto': None}[dialect]
out = {}
try:
    c = SMBConnection('ca01', '127.0.0.1', sess_port=port, preferredDialect=pref, timeout=5)
    out['dialect'] = hex(c.getDialect())
    c.login('svc-enroll', password, 'TEST')
    tid = c.connectTree('IPC$')
    fid = c.openFile(tid, '\\\\' + pipe, desiredAccess=0x12019f, shareMode=3)
    c.writeFile(tid, fid, b'request')
    out['read'] = c.readFile(tid, fid).decode()
    out['transact'] = c.transactNamedPipe(tid, fid, b'bind').decode()
    c.closeFile(tid, fid)
    c.disconnectTree(tid)
    c.close()
except SessionError as e:
    out['error'] = e.getErrorCode()
print(json.dumps(out))
`;

function runImpacket(port: number, dialect: string, password = 'Passw0rd!', pipe = 'cert'): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python!, ['-c', CLIENT, String(port), dialect, password, pipe], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown>);
      } catch {
        reject(new Error(`impacket client exited ${code}: ${err}${out}`));
      }
    });
  });
}

const python = findImpacketPython();
const impacket = python !== undefined;
if (!impacket) console.warn('python3-impacket is not installed: skipping the impacket -> SmbServer interop (apt-get install -y python3-impacket)');

(impacket ? describe : describe.skip)(`impacket client against ${SmbServer.name}`, () => {
  let server: SmbServer;
  beforeAll(async () => {
    const hash = ntHash('Passw0rd!');
    server = new SmbServer({
      createAcceptor: () =>
        new SpnegoContext({
          role: 'acceptor',
          mech: MechOid.NTLMSSP,
          inner: new NtlmAcceptorContext({
            lookupUser: (u) => (u.toLowerCase() === 'svc-enroll' ? hash : undefined),
            netbiosDomain: 'TEST',
            netbiosComputer: 'CA01',
          }),
        }),
      pipes: {
        cert: () => new ScriptedPipe(),
        slow: () => new ScriptedPipe(undefined, 300),
      },
      pendingReadWaitMs: 50,
    });
    await server.listen();
  });
  afterAll(() => server.close());

  it.each(['2.0.2', '2.1', '3.0', 'auto'])('dialect %s: SMB1 probe, NTLM login, signed pipe WRITE/READ and transceive', async (dialect) => {
    const result = await runImpacket(server.port, dialect);
    expect(result).toMatchObject({
      read: 'ACK:request',
      transact: 'ACK:bind',
    });
  });

  it('negotiates the highest dialect impacket 0.10 offers when left to choose (3.0)', async () => {
    expect(await runImpacket(server.port, 'auto')).toMatchObject({
      dialect: '0x300',
    });
  });

  it('lets impacket turn on SMB3 encryption when the server offers a cipher (3.0, AES-128-CCM)', async () => {
    const hash = ntHash('Passw0rd!');
    const encrypting = new SmbServer({
      createAcceptor: () =>
        new SpnegoContext({
          role: 'acceptor',
          mech: MechOid.NTLMSSP,
          inner: new NtlmAcceptorContext({
            lookupUser: (u) => (u.toLowerCase() === 'svc-enroll' ? hash : undefined),
            netbiosDomain: 'TEST',
            netbiosComputer: 'CA01',
          }),
        }),
      pipes: { cert: () => new ScriptedPipe() },
      encryption: 'required',
    });
    await encrypting.listen();
    try {
      expect(await runImpacket(encrypting.port, '3.0')).toMatchObject({
        read: 'ACK:request',
        transact: 'ACK:bind',
      });
    } finally {
      await encrypting.close();
    }
  });

  it('follows an interim STATUS_PENDING on a READ whose reply comes late', async () => {
    expect(await runImpacket(server.port, '3.0', 'Passw0rd!', 'slow')).toMatchObject({ read: 'ACK:request' });
  });

  it('gets STATUS_LOGON_FAILURE for a wrong password and STATUS_OBJECT_NAME_NOT_FOUND for an unknown pipe', async () => {
    expect(await runImpacket(server.port, '3.0', 'wrong')).toMatchObject({
      error: 0xc000006d,
    });
    expect(await runImpacket(server.port, '3.0', 'Passw0rd!', 'nosuch')).toMatchObject({ error: 0xc0000034 });
  });
});
