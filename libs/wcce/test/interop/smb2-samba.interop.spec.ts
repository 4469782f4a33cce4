/**
 * libs/wcce SMB2/3 client against a real Samba smbd (Debian `samba`), started on loopback by
 * scripts/peers/samba-smbd.sh. Run: ENROLLGATE_TEST_KIND=interop npm run test:unit -- libs/wcce/test/interop
 *
 * Covers negotiate (2.0.2 - 3.1.1), NTLM-in-SPNEGO session setup, mandatory signing, SMB3
 * encryption required by the server, IPC$, \pipe\srvsvc and a DCE/RPC BIND over both
 * FSCTL_PIPE_TRANSCEIVE and WRITE+READ, and the failures a CA client must classify.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NtlmProvider } from "../../src/ntlm/index.js";
import type { NtlmAuthenticateStyle } from "../../src/ntlm/index.js";
import { SmbSession } from "../../src/smb2/client/session.js";
import type { Smb2Dialect } from "../../src/smb2/constants.js";

const SCRIPT = new URL(
  "../../../../scripts/peers/samba-smbd.sh",
  import.meta.url,
).pathname;

interface Smbd {
  dir: string;
  port: number;
  user: string;
  password: string;
}

function startSmbd(env: Record<string, string>): Smbd {
  const dir = mkdtempSync(join(tmpdir(), "enrollgate-smbd-"));
  let out: string;
  try {
    out = execFileSync("bash", [SCRIPT, "start", dir], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }).toString();
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    throw new Error(
      `could not start smbd (exit ${err.status}): ${err.stderr?.toString() ?? ""}`,
      { cause: e },
    );
  }
  const vars = Object.fromEntries(
    readFileSync(join(dir, "env"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("=", 2) as [string, string]),
  );
  return {
    dir,
    port: Number(out.trim()),
    user: vars["USER"]!,
    password: vars["PASSWORD"]!,
  };
}

function stopSmbd(s: Smbd | undefined): void {
  if (!s) return;
  execFileSync("bash", [SCRIPT, "stop", s.dir]);
  rmSync(s.dir, { recursive: true, force: true });
}

/** A minimal unauthenticated BIND for srvsvc 3.0 / NDR 2.0 (wcce-protocol.md 1.5), call id 1. */
function srvsvcBind(): Buffer {
  const pdu = Buffer.alloc(72);
  pdu.set([5, 0, 11, 0x03, 0x10, 0, 0, 0], 0); // v5.0 BIND, FIRST|LAST, little-endian DREP
  pdu.writeUInt16LE(72, 8); // frag_length
  pdu.writeUInt32LE(1, 12); // call_id
  pdu.writeUInt16LE(4280, 16); // max_xmit_frag
  pdu.writeUInt16LE(4280, 18); // max_recv_frag
  pdu.writeUInt8(1, 24); // one context
  pdu.writeUInt16LE(0, 28); // ctx id 0
  pdu.writeUInt8(1, 30); // one transfer syntax
  Buffer.from("c84f324b7016d30112785a47bf6ee188", "hex").copy(pdu, 32); // srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188
  pdu.writeUInt16LE(3, 48); // version 3.0
  Buffer.from("045d888aeb1cc9119fe808002b104860", "hex").copy(pdu, 52); // NDR 8a885d04-1ceb-11c9-9fe8-08002b104860
  pdu.writeUInt16LE(2, 68); // version 2
  return pdu;
}

const PTYPE_BIND_ACK = 12;

describe("SMB2 client against Samba smbd", () => {
  let signed: Smbd | undefined;
  let encrypted: Smbd | undefined;

  beforeAll(() => {
    signed = startSmbd({ SMB_SIGNING: "mandatory" });
    encrypted = startSmbd({
      SMB_SIGNING: "mandatory",
      SMB_ENCRYPT: "required",
    });
  });

  afterAll(() => {
    stopSmbd(signed);
    stopSmbd(encrypted);
  });

  const provider = (
    s: Smbd,
    style: NtlmAuthenticateStyle = "windows",
    password = s.password,
  ): NtlmProvider =>
    new NtlmProvider(
      { kind: "ntlm", domain: "TEST", user: s.user, password },
      { style },
    );
  const connect = (
    s: Smbd,
    dialects: readonly Smb2Dialect[],
    style: NtlmAuthenticateStyle = "windows",
  ): Promise<SmbSession> =>
    SmbSession.connect({
      host: "127.0.0.1",
      port: s.port,
      serverName: "PEERSRV",
      provider: provider(s, style),
      dialects,
      timeoutMs: 10_000,
    });

  describe.each([
    ["2.0.2", 0x0202],
    ["2.1", 0x0210],
    ["3.0", 0x0300],
    ["3.0.2", 0x0302],
    ["3.1.1", 0x0311],
  ] as [string, Smb2Dialect][])(
    "dialect %s, server signing = mandatory",
    (_name, dialect) => {
      it("negotiates, logs on with NTLM, opens \\pipe\\srvsvc and gets a BIND_ACK via transceive and via WRITE+READ", async () => {
        const sut = await connect(signed!, [dialect]);
        try {
          expect(sut.dialect).toBe(dialect);
          expect(sut.negotiated.serverSigningRequired).toBe(true);
          expect(sut.encrypted).toBe(false);
          const viaIoctl = await sut.openPipe("srvsvc");
          expect((await viaIoctl.transact(srvsvcBind()))[2]).toBe(
            PTYPE_BIND_ACK,
          );
          await viaIoctl.close();
          const viaReadWrite = await sut.openPipe("srvsvc");
          await viaReadWrite.write(srvsvcBind());
          expect((await viaReadWrite.read())[2]).toBe(PTYPE_BIND_ACK);
          await sut.echo();
        } finally {
          await sut.close();
        }
      });
    },
  );

  it("works with the impacket-style NTLM AUTHENTICATE (no MIC) on 3.1.1 too", async () => {
    const sut = await connect(signed!, [0x0311], "impacket");
    try {
      expect(
        (await (await sut.openPipe("srvsvc")).transact(srvsvcBind()))[2],
      ).toBe(PTYPE_BIND_ACK);
    } finally {
      await sut.close();
    }
  });

  describe.each([
    ["3.0", 0x0300],
    ["3.0.2", 0x0302],
    ["3.1.1", 0x0311],
  ] as [string, Smb2Dialect][])(
    "dialect %s, server smb encrypt = required",
    (_name, dialect) => {
      it("encrypts the session and binds srvsvc", async () => {
        const sut = await connect(encrypted!, [dialect]);
        try {
          expect(sut.encrypted).toBe(true);
          expect(
            (await (await sut.openPipe("srvsvc")).transact(srvsvcBind()))[2],
          ).toBe(PTYPE_BIND_ACK);
        } finally {
          await sut.close();
        }
      });
    },
  );

  it("is refused by an encryption-required server when it speaks only 2.1", async () => {
    await expect(
      connect(encrypted!, [0x0210]).then((s) =>
        s.openPipe("srvsvc").finally(() => s.close()),
      ),
    ).rejects.toMatchObject({ code: "ACCESS_DENIED" });
  });

  it("maps a wrong password to AUTH_FAILED (STATUS_LOGON_FAILURE)", async () => {
    const s = signed!;
    await expect(
      SmbSession.connect({
        host: "127.0.0.1",
        port: s.port,
        serverName: "PEERSRV",
        provider: provider(s, "windows", "not-the-password"),
        timeoutMs: 10_000,
      }),
    ).rejects.toMatchObject({
      code: "AUTH_FAILED",
      status: 0xc000006d,
      retryable: false,
    });
  });

  it("maps a pipe that does not exist to SMB_STATUS STATUS_OBJECT_NAME_NOT_FOUND (a stopped CertSvc looks like this)", async () => {
    const sut = await connect(signed!, [0x0311]);
    try {
      await expect(sut.openPipe("cert")).rejects.toMatchObject({
        code: "SMB_STATUS",
        status: 0xc0000034,
      });
    } finally {
      await sut.close();
    }
  });
});
