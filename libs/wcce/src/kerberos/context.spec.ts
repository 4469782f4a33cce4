import { RpcAuthLevel } from '../security/provider.js';
import { MechOid } from '../spnego/oids.js';
import { SpnegoContext } from '../spnego/context.js';
import { EncType, KeyUsage } from './crypto/index.js';
import { KerberosAcceptorContext, KerberosInitiatorContext } from './context.js';
import type { KerberosTicket } from './kdc-client.js';
import { sealData } from './messages/encrypted-data.js';
import { parsePrincipal } from './messages/principal.js';
import { decodeTicket, encodeEncTicketPart, encodeTicket } from './messages/ticket.js';
import type { KeytabEntry } from './files/keytab.js';

const service = parsePrincipal('host/ca.test.local@TEST.LOCAL');
const client = parsePrincipal('alice@TEST.LOCAL');
const serviceKey = { etype: EncType.AES256_CTS_HMAC_SHA1_96, value: Buffer.alloc(32, 0x42) };
const keytab: KeytabEntry[] = [{ principal: service, timestamp: 0, kvno: 2, key: serviceKey }];

/** A ticket as a KDC would issue it: EncTicketPart sealed with the service key (usage 2). */
function issueTicket(): KerberosTicket {
  const now = new Date();
  const sessionKey = { etype: EncType.AES256_CTS_HMAC_SHA1_96, value: Buffer.alloc(32, 0x17) };
  const endtime = new Date(now.getTime() + 3600_000);
  const enc = encodeEncTicketPart({ flags: 0x40a10000, key: sessionKey, crealm: client.realm, cname: client.name, authtime: now, endtime });
  const ticket = decodeTicket(
    encodeTicket({ realm: service.realm, sname: service.name, encPart: sealData(serviceKey, KeyUsage.KDC_REP_TICKET, enc, undefined, 2) }),
  );
  return { client, server: service, ticket, sessionKey, flags: 0, authtime: now, starttime: now, endtime };
}

async function run(
  initiator: { step(i?: Buffer): Promise<{ output?: Buffer; complete: boolean }> },
  acceptor: { step(i?: Buffer): Promise<{ output?: Buffer; complete: boolean }> },
): Promise<number> {
  let legs = 0;
  let token = (await initiator.step()).output;
  let iDone = false;
  let aDone = false;
  while (token) {
    legs++;
    const a = await acceptor.step(token);
    aDone = a.complete;
    if (!a.output) break;
    legs++;
    if (iDone) break;
    const i = await initiator.step(a.output);
    iDone = i.complete;
    token = i.output;
  }
  expect(aDone).toBe(true);
  return legs;
}

describe(KerberosInitiatorContext.name, () => {
  it('DCE style through SPNEGO: three legs, acceptor subkey, mechListMIC, then sealed and signed PDUs both ways', async () => {
    const ticket = issueTicket();
    const sut = new SpnegoContext({
      role: 'initiator',
      inner: new KerberosInitiatorContext({ ticket: async () => ticket, style: 'dce' }),
      mech: MechOid.MS_KRB5,
    });
    const acceptor = new SpnegoContext({ role: 'acceptor', inner: new KerberosAcceptorContext({ keytab }), mech: MechOid.MS_KRB5 });
    const legs = await run(sut, acceptor);
    expect(legs).toBeGreaterThanOrEqual(3);
    expect(acceptor.peerName).toBe('alice@TEST.LOCAL');
    expect(sut.sessionKey()).toEqual(acceptor.sessionKey());
    expect(sut.sessionKey()).not.toEqual(ticket.sessionKey.value);

    const header = Buffer.alloc(24);
    const trailer = Buffer.alloc(8);
    for (const level of [RpcAuthLevel.PKT_PRIVACY, RpcAuthLevel.PKT_INTEGRITY]) {
      for (let i = 0; i < 3; i++) {
        const stub = Buffer.alloc(64 + i * 16, i + 1);
        const out = sut.wrap(level, { header, stub, trailer });
        expect(out.verifier.length).toBe(sut.verifierLength(level, stub.length));
        expect(acceptor.unwrap(level, { header, stub: out.stub, trailer }, out.verifier)).toEqual(stub);
        const back = acceptor.wrap(level, { header, stub, trailer });
        expect(sut.unwrap(level, { header, stub: back.stub, trailer }, back.verifier)).toEqual(stub);
      }
    }
    expect(sut.verifierLength(RpcAuthLevel.PKT_PRIVACY, 100)).toBe(76);
    expect(sut.verifierLength(RpcAuthLevel.PKT_INTEGRITY, 100)).toBe(28);
  });

  it('DCE style AP-REQ is raw (MIT acceptors refuse a framed one) and asks for mutual + 0x103E', async () => {
    const sut = new KerberosInitiatorContext({ ticket: async () => issueTicket(), style: 'dce' });
    const first = (await sut.step()).output!;
    expect(first[0]).toBe(0x6e); // [APPLICATION 14] AP-REQ
  });

  it('SMB style: one GSS-framed AP-REQ, complete at once; session key is the initiator subkey', async () => {
    const sut = new KerberosInitiatorContext({ ticket: async () => issueTicket(), style: 'smb' });
    const acceptor = new KerberosAcceptorContext({ keytab });
    const first = await sut.step();
    expect(first.complete).toBe(true);
    expect(first.output![0]).toBe(0x60);
    const a = await acceptor.step(first.output);
    expect(a).toEqual({ complete: true });
    expect(sut.sessionKey()).toEqual(acceptor.sessionKey());
  });

  it('SMB style with mutual authentication verifies the AP-REP', async () => {
    const sut = new KerberosInitiatorContext({ ticket: async () => issueTicket(), style: 'smb', mutual: true });
    const acceptor = new KerberosAcceptorContext({ keytab });
    const a = await acceptor.step((await sut.step()).output);
    const done = await sut.step(a.output);
    expect(done.complete).toBe(true);
    expect(sut.sessionKey()).toEqual(acceptor.sessionKey());
  });

  it('a replayed PDU is refused with INTEGRITY', async () => {
    const sut = new KerberosInitiatorContext({ ticket: async () => issueTicket(), style: 'dce' });
    const acceptor = new KerberosAcceptorContext({ keytab });
    const a = await acceptor.step((await sut.step()).output);
    const third = await sut.step(a.output);
    await acceptor.step(third.output);
    const pdu = { header: Buffer.alloc(24), stub: Buffer.alloc(32, 1), trailer: Buffer.alloc(8) };
    const w = acceptor.wrap(RpcAuthLevel.PKT_PRIVACY, pdu);
    sut.unwrap(RpcAuthLevel.PKT_PRIVACY, { ...pdu, stub: w.stub }, w.verifier);
    expect(() => sut.unwrap(RpcAuthLevel.PKT_PRIVACY, { ...pdu, stub: w.stub }, w.verifier)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });

  it('an acceptor without the service key refuses with AUTH_FAILED', async () => {
    const sut = new KerberosInitiatorContext({ ticket: async () => issueTicket(), style: 'smb' });
    const acceptor = new KerberosAcceptorContext({ keytab: [{ ...keytab[0]!, key: { etype: 17, value: Buffer.alloc(16) } }] });
    await expect(acceptor.step((await sut.step()).output)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });
});
