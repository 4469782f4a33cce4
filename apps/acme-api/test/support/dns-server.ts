/**
 * A tiny authoritative DNS server over UDP for the specs (RFC 1035 §4): A answers 127.0.0.1 for
 * every name (as pebble-challtestsrv's -defaultIPv4 does), TXT answers what the test set,
 * anything else NOERROR/empty. Lets http-01, tls-alpn-01 and dns-01 run against names like
 * `www.example.test` through ACME_DNS_SERVERS.
 */
import { createSocket, type Socket } from 'node:dgram';

export class TestDnsServer {
  private readonly txt = new Map<string, string[]>();

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const server = new TestDnsServer(socket, socket.address().port);
    socket.on('message', (msg, rinfo) => {
      const answer = server.answer(msg);
      if (answer) socket.send(answer, rinfo.port, rinfo.address);
    });
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setTxt(name: string, values: string[]): void {
    this.txt.set(name.toLowerCase().replace(/\.$/, ''), values);
  }

  clearTxt(name: string): void {
    this.txt.delete(name.toLowerCase().replace(/\.$/, ''));
  }

  private answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12) return undefined;
    const labels: string[] = [];
    let p = 12;
    while (p < msg.length && msg[p] !== 0) {
      const len = msg[p] as number;
      labels.push(msg.subarray(p + 1, p + 1 + len).toString('latin1'));
      p += len + 1;
    }
    const qEnd = p + 5;
    if (qEnd > msg.length) return undefined;
    const qtype = msg.readUInt16BE(p + 1);
    const name = labels.join('.').toLowerCase();
    const records: Buffer[] = [];
    if (qtype === 1) records.push(Buffer.from([127, 0, 0, 1]));
    if (qtype === 16) {
      for (const v of this.txt.get(name) ?? []) {
        const b = Buffer.from(v, 'utf8');
        records.push(Buffer.concat([Buffer.from([b.length]), b]));
      }
    }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100), 2); // response, RD copied, RA, NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((rdata) => {
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(5, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, msg.subarray(12, qEnd), ...answers]);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
