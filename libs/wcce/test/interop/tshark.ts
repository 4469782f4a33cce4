/**
 * tshark as a wire oracle for interop specs: capture loopback traffic of one TCP port into a pcap
 * (started and stopped by PID), then decode it with Wireshark's own SMB2/NTLMSSP/DCE-RPC dissectors.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface Capture {
  file: string;
  stop(): Promise<void>;
}

export class CaptureUnavailable extends Error {}

const SETTLE_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `tshark -i lo -f 'tcp port PORT' -w FILE`; resolves once tshark reports it is capturing. */
export function startCapture(port: number, file: string, timeoutMs = 15_000): Promise<Capture> {
  let child: ChildProcess;
  try {
    child = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    return Promise.reject(new CaptureUnavailable(`tshark cannot start: ${(e as Error).message}`));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // dumpcap reads the kernel's buffer in batches: give it time to drain before stopping it.
      await sleep(SETTLE_MS);
      // Only our own tshark, by its PID; SIGINT lets it flush the pcap and stop its dumpcap.
      process.kill(child.pid!, 'SIGINT');
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      void stop().then(() => reject(new CaptureUnavailable(`tshark did not start capturing within ${timeoutMs} ms: ${stderr}`)));
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // "Capturing on 'lo'" comes before the capture filter is live; "Capture started" after.
      if (/Capture started/.test(stderr)) {
        clearTimeout(timer);
        void sleep(SETTLE_MS).then(() => resolve({ file, stop }));
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new CaptureUnavailable(`tshark cannot start: ${e.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new CaptureUnavailable(`tshark exited (${code}) before capturing: ${stderr.trim()}`));
    });
  });
}

export interface DecodeOptions {
  /**
   * Two-pass (`-2`, default): the first sealed request of a context is only decryptable once the
   * whole NTLMSSP exchange has been seen. tshark 4.0 only reports SMB2 signature checks ("Good
   * signature" / expert "Invalid Signature") in a single pass, so signature checks use `twoPass: false`.
   */
  twoPass?: boolean;
}

/**
 * Decodes SMB on a non-standard port as NetBIOS session service, with NTLMSSP keys from the
 * password and SMB2 signatures verified. Returns one tab-separated row of `fields` per packet.
 */
export function decodeCapture(file: string, port: number, password: string, filter: string, fields: string[], options: DecodeOptions = {}): string[][] {
  const out = runTshark(file, port, password, filter, options, [
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** The same decode, as tshark's full packet-detail text (`-V`). */
export function decodeCaptureVerbose(file: string, port: number, password: string, filter: string, options: DecodeOptions = {}): string {
  return runTshark(file, port, password, filter, options, ['-V']);
}

function runTshark(file: string, port: number, password: string, filter: string, options: DecodeOptions, output: string[]): string {
  const args = [
    '-r',
    file,
    ...(options.twoPass === false ? [] : ['-2']),
    ...(port === 445 ? [] : ['-d', `tcp.port==${port},nbss`]),
    '-o',
    `ntlmssp.nt_password:${password}`,
    '-o',
    'smb2.verify_signatures:TRUE',
    '-Y',
    filter,
    ...output,
  ];
  return execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).toString();
}
