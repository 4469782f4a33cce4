/**
 * tshark as a wire oracle (research/peers.md §3): capture loopback traffic of one SMB port, then
 * decode it two-pass with the NTLM password so NTLMSSP-sealed DCE/RPC is decrypted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { run } from '../../../../test/support/adcs-sim.js';

export const ICPR_UUID = '91ae6020-9e3c-11cf-8d7c-00aa00c091be';

/** Why captures cannot run here (tshark -i lo needs root or dumpcap capabilities), or undefined. */
export async function captureUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: tshark -i lo needs root (or dumpcap capabilities)';
  const probe = await run('tshark', ['--version']);
  if (probe.code !== 0) return 'tshark is not installed (apt-get install -y tshark)';
  return undefined;
}

export class Capture {
  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts `tshark -i lo -f 'tcp port PORT' -w FILE` and waits until it is capturing. */
  static async start(port: number, file: string): Promise<Capture> {
    const child = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    await new Promise<void>((ok, fail) => {
      let err = '';
      const timer = setTimeout(() => fail(new Error(`tshark did not start capturing: ${err}`)), 15_000);
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (/Capturing on/.test(err)) {
          clearTimeout(timer);
          ok();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`tshark exited: ${err}`));
      });
    });
    // "Capturing on" comes before the filter is live: probe with TCP connections until one shows up.
    const sizeOf = (): number => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    };
    const before = sizeOf();
    for (let i = 0; i < 100 && sizeOf() === before; i++) {
      await new Promise<void>((done) => {
        const probe = connect(port, '127.0.0.1', () => probe.end());
        probe.on('close', () => done());
        probe.on('error', () => done());
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    return new Capture(child, file, exited);
  }

  /** Lets the last packets reach the file, then stops tshark (SIGINT by its pid) and waits. */
  async stop(): Promise<void> {
    await new Promise((r) => setTimeout(r, 500));
    if (this.child.exitCode === null && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGINT');
    await this.exited;
  }
}

export interface DcerpcPacket {
  frame: number;
  /** 0 request, 2 response, 3 fault, 11 bind, 12 bind_ack, 16 auth3 */
  type: number;
  bindUuid: string;
  opnum: string;
  authLevel: string;
  decrypted: boolean;
}

export interface DecodedCapture {
  packets: DcerpcPacket[];
  /** frames tshark marks [Malformed Packet] (the `_ws.malformed` filter). */
  malformed: string[];
}

/** Decodes a capture of SMB on a non-standard port, decrypting NTLMSSP-sealed DCE/RPC with the password. */
export async function decodeCapture(file: string, port: number, password: string): Promise<DecodedCapture> {
  const base = ['-r', file, '-2', '-d', `tcp.port==${port},nbss`, '-o', `ntlmssp.nt_password:${password}`];
  const fields = await run('tshark', [
    ...base,
    '-Y',
    'dcerpc',
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-E',
    'occurrence=f',
    '-e',
    'frame.number',
    '-e',
    'dcerpc.pkt_type',
    '-e',
    'dcerpc.cn_bind_to_uuid',
    '-e',
    'dcerpc.opnum',
    '-e',
    'dcerpc.auth_level',
    '-e',
    'dcerpc.decrypted_stub_data',
  ]);
  if (fields.code !== 0) throw new Error(`tshark -r failed: ${fields.stderr}`);
  const packets = fields.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [frame, type, bindUuid, opnum, authLevel, decrypted] = line.split('|');
      return {
        frame: Number(frame),
        type: Number(type),
        bindUuid: bindUuid ?? '',
        opnum: opnum ?? '',
        authLevel: authLevel ?? '',
        decrypted: (decrypted ?? '') !== '',
      };
    });
  const malformed = await run('tshark', [...base, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Info']);
  return { packets, malformed: malformed.stdout.split('\n').filter((l) => l.trim() !== '') };
}
