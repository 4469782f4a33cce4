import { RpcClient } from '../dcerpc/client.js';
import { RpcInterfaceRegistry } from '../dcerpc/registry.js';
import { RpcServerConnection } from '../dcerpc/server.js';
import { InMemoryPipe } from '../dcerpc/testing/in-memory-pipe.js';
import { WcceProtocolError } from '../errors.js';
import {
  LSARPC,
  LsarOpnum,
  PolicyInformationClass,
  decodeLsarOpenPolicy2Request,
  decodeLsarQueryInformationPolicyRequest,
  decodeLsarQueryInformationPolicyResponse,
  encodeHandleResponse,
  encodeLsarOpenPolicy2Request,
  encodeLsarQueryInformationPolicyRequest,
  encodeLsarQueryInformationPolicyResponse,
  lsarClose,
  lsarOpenPolicy2,
  lsarQueryInformationPolicy,
} from './lsarpc.js';
import {
  SRVSVC,
  decodeNetrServerGetInfoRequest,
  decodeNetrServerGetInfoResponse,
  encodeNetrServerGetInfoRequest,
  encodeNetrServerGetInfoResponse,
  netrServerGetInfo,
  type ServerInfo101,
} from './srvsvc.js';

const hex = (...parts: string[]): string => parts.join('');
const HANDLE = Buffer.from('00000000' + '11'.repeat(16), 'hex');

// Layouts written out by hand from the IDL (MS-SRVS 3.1.4.17, MS-LSAD 3.1.4.4.3) and NDR rules,
// so encoder and decoder cannot share a mistake unnoticed.
const SERVER_INFO_HEX = hex(
  '65000000', // union discriminant: level 101
  '00000200', // LPSERVER_INFO_101 referent
  'f4010000', // sv101_platform_id 500
  '04000200', // sv101_name referent
  '06000000',
  '01000000', // version 6.1
  '03100000', // sv101_type
  '08000200', // sv101_comment referent
  '05000000',
  '00000000',
  '05000000',
  '43004100300031000000',
  '0000', // "CA01" + pad
  '01000000',
  '00000000',
  '01000000',
  '0000',
  '0000', // "" + pad
  '00000000', // NET_API_STATUS
);
const SERVER_INFO: ServerInfo101 = { platformId: 500, name: 'CA01', versionMajor: 6, versionMinor: 1, type: 0x1003, comment: '' };

const ACCOUNT_DOMAIN_HEX = hex(
  '00000200', // PLSAPR_POLICY_INFORMATION referent
  '0500',
  '0000', // discriminant PolicyAccountDomainInformation, pad to the arm's 4-byte alignment
  '0800',
  '0800',
  '04000200', // RPC_UNICODE_STRING Length, MaximumLength, Buffer referent
  '08000200', // DomainSid referent
  '04000000',
  '00000000',
  '04000000',
  '5400450053005400', // "TEST"
  '04000000',
  '01',
  '04',
  '000000000005',
  '15000000',
  '01000000',
  '02000000',
  '03000000', // S-1-5-21-1-2-3
  '00000000', // NTSTATUS
);

describe(encodeNetrServerGetInfoResponse.name, () => {
  it('matches the hand-built SERVER_INFO_101 layout and decodes it back', () => {
    expect(encodeNetrServerGetInfoResponse(SERVER_INFO).toString('hex')).toBe(SERVER_INFO_HEX);
    expect(decodeNetrServerGetInfoResponse(Buffer.from(SERVER_INFO_HEX, 'hex'))).toEqual({ info: SERVER_INFO, status: 0 });
  });

  it.each([
    ['with a server name', '\\\\ca01', hex('00000200', '07000000', '00000000', '07000000', '5c005c0063006100300031000000', '0000', '65000000')],
    ['without', null, hex('00000000', '65000000')],
  ])('encodes the request %s', (_name, serverName, expected) => {
    expect(encodeNetrServerGetInfoRequest(serverName).toString('hex')).toBe(expected);
    expect(decodeNetrServerGetInfoRequest(Buffer.from(expected, 'hex'))).toEqual({ serverName, level: 101 });
  });
});

describe(encodeLsarQueryInformationPolicyResponse.name, () => {
  it('matches the hand-built account-domain layout and decodes it back', () => {
    const info = { name: 'TEST', sid: 'S-1-5-21-1-2-3' };
    expect(encodeLsarQueryInformationPolicyResponse(PolicyInformationClass.ACCOUNT_DOMAIN, info).toString('hex')).toBe(ACCOUNT_DOMAIN_HEX);
    expect(decodeLsarQueryInformationPolicyResponse(Buffer.from(ACCOUNT_DOMAIN_HEX, 'hex'), 5)).toEqual({ info, status: 0 });
  });

  it('round-trips a primary domain without SID (workgroup)', () => {
    const stub = encodeLsarQueryInformationPolicyResponse(PolicyInformationClass.PRIMARY_DOMAIN, { name: 'WORKGROUP', sid: null });
    expect(decodeLsarQueryInformationPolicyResponse(stub)).toEqual({ info: { name: 'WORKGROUP', sid: null }, status: 0 });
  });

  it.each([
    ['an unsupported information class', (b: Buffer) => b.writeUInt16LE(12, 4), 'PolicyInformation.level'],
    ['a SID count that disagrees with its conformance', (b: Buffer) => (b[45] = 3), 'Sid.SubAuthorityCount'],
    ['a Length above MaximumLength', (b: Buffer) => b.writeUInt16LE(10, 8), 'Name.Length'],
  ])('refuses %s', (_name, mutate, field) => {
    const b = Buffer.from(ACCOUNT_DOMAIN_HEX, 'hex');
    mutate(b);
    expect(() => decodeLsarQueryInformationPolicyResponse(b)).toThrow(expect.objectContaining({ field }));
    expect(() => decodeLsarQueryInformationPolicyResponse(b)).toThrow(WcceProtocolError);
  });
});

describe(encodeLsarOpenPolicy2Request.name, () => {
  it('sends NULL object attributes of Length 24 and the access mask', () => {
    const stub = encodeLsarOpenPolicy2Request(null, 0x02000000);
    expect(stub.toString('hex')).toBe(hex('00000000', '18000000', '00000000'.repeat(5), '00000002'));
    expect(decodeLsarOpenPolicy2Request(stub)).toEqual({ systemName: null, desiredAccess: 0x02000000 });
  });

  it('sends the information class as a 16-bit enum after the handle', () => {
    expect(encodeLsarQueryInformationPolicyRequest(HANDLE, 3).toString('hex')).toBe(HANDLE.toString('hex') + '0300');
  });
});

describe('srvsvc and lsarpc helpers over RpcClient', () => {
  async function connect(syntax: typeof LSARPC) {
    const registry = new RpcInterfaceRegistry()
      .register({
        syntax: SRVSVC,
        opnumCount: 22,
        handler: async (opnum, stub) => {
          expect(opnum).toBe(21);
          decodeNetrServerGetInfoRequest(stub);
          return encodeNetrServerGetInfoResponse(SERVER_INFO);
        },
      })
      .register({
        syntax: LSARPC,
        opnumCount: 45,
        handler: async (opnum, stub) => {
          if (opnum === LsarOpnum.OPEN_POLICY2) return (decodeLsarOpenPolicy2Request(stub), encodeHandleResponse(HANDLE, 0));
          if (opnum === LsarOpnum.CLOSE) return encodeHandleResponse(Buffer.alloc(20), 0);
          const { infoClass } = decodeLsarQueryInformationPolicyRequest(stub);
          if (infoClass === PolicyInformationClass.PRIMARY_DOMAIN) return encodeLsarQueryInformationPolicyResponse(3, null, 0xc0000022);
          return encodeLsarQueryInformationPolicyResponse(5, { name: 'CA01', sid: 'S-1-5-21-100-200-300' });
        },
      });
    const rpc = new RpcClient(new InMemoryPipe(new RpcServerConnection({ registry })));
    await rpc.bind({ syntax });
    return rpc;
  }

  it('reads SERVER_INFO_101', async () => {
    await expect(netrServerGetInfo(await connect(SRVSVC))).resolves.toEqual(SERVER_INFO);
  });

  it('opens the policy, queries the account domain, maps a denied query, and closes', async () => {
    const rpc = await connect(LSARPC);
    const handle = await lsarOpenPolicy2(rpc);
    expect(handle).toEqual(HANDLE);
    await expect(lsarQueryInformationPolicy(rpc, handle, PolicyInformationClass.ACCOUNT_DOMAIN)).resolves.toEqual({
      name: 'CA01',
      sid: 'S-1-5-21-100-200-300',
    });
    await expect(lsarQueryInformationPolicy(rpc, handle, PolicyInformationClass.PRIMARY_DOMAIN)).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      status: 0xc0000022,
    });
    await expect(lsarClose(rpc, handle)).resolves.toBeUndefined();
  });
});
