import { WcceError } from '../errors.js';
import { RpcClient } from '../dcerpc/client.js';
import { RpcInterfaceRegistry, type RpcCallerIdentity } from '../dcerpc/registry.js';
import { RpcServerConnection, type RpcServerOptions } from '../dcerpc/server.js';
import { InMemoryPipe } from '../dcerpc/testing/in-memory-pipe.js';
import { ToySecurityContext } from '../dcerpc/testing/toy-security.js';
import { RpcAuthLevel, RpcAuthType } from '../security/provider.js';
import { findAttribute } from './attributes.js';
import { retrieveRequest, submitRequest } from './client.js';
import { ICERT_PASSAGE } from './constants.js';
import { Hresult } from './hresult.js';
import { encodeCertServerRequest } from './request.js';
import { icprInterface, type IcprServerRequest } from './server.js';

const CERT = Buffer.alloc(1500, 0x30);
const CHAIN = Buffer.alloc(6000, 0x31); // a multi-fragment PKCS#7, as real enrollments are

/** A scripted CA: issues WebServer, parks Manual as pending (id 99), denies anything else. */
function fakeCa(seen: IcprServerRequest[]) {
  return icprInterface(async (req) => {
    seen.push(req);
    if (req.authority !== 'test-CA')
      return { requestId: 0, disposition: Hresult.E_INVALIDARG, cert: null, encodedCert: null, dispositionMessage: 'unknown CA', returnValue: 0 };
    if (req.request === null) {
      return req.requestId === 99
        ? { requestId: 99, disposition: 3, cert: CHAIN, encodedCert: CERT, dispositionMessage: 'Issued', returnValue: 0 }
        : { requestId: req.requestId, disposition: Hresult.CERTSRV_E_PROPERTY_EMPTY, cert: null, encodedCert: null, dispositionMessage: null, returnValue: 0 };
    }
    const template = findAttribute(req.attributeList, 'CertificateTemplate');
    if (template === 'WebServer') return { requestId: 17, disposition: 3, cert: CHAIN, encodedCert: CERT, dispositionMessage: 'Issued', returnValue: 0 };
    if (template === 'Manual')
      return { requestId: 99, disposition: 5, cert: null, encodedCert: null, dispositionMessage: 'Taken Under Submission', returnValue: 0 };
    return {
      requestId: 18,
      disposition: Hresult.CERTSRV_E_TEMPLATE_DENIED,
      cert: null,
      encodedCert: null,
      dispositionMessage: 'Denied by Policy Module',
      returnValue: 0,
    };
  });
}

async function connect(level: RpcAuthLevel, server: Partial<RpcServerOptions> = {}) {
  const seen: IcprServerRequest[] = [];
  const callers: RpcCallerIdentity[] = [];
  const ca = fakeCa(seen);
  const registry = new RpcInterfaceRegistry().register({ ...ca, handler: (o, s, c) => (callers.push(c), ca.handler(o, s, c)) });
  const conn = new RpcServerConnection({
    registry,
    acceptor: () => new ToySecurityContext('acceptor'),
    minAuthLevel: RpcAuthLevel.PKT_PRIVACY,
    secondaryAddress: '\\PIPE\\cert',
    ...server,
  });
  const pipe = new InMemoryPipe(conn);
  const rpc = new RpcClient(pipe);
  await rpc.bind({
    syntax: ICERT_PASSAGE,
    security: { context: new ToySecurityContext('initiator'), authType: RpcAuthType.WINNT, authLevel: level },
    maxRecvFrag: 1024,
  });
  return { rpc, seen, callers, pipe };
}

describe(submitRequest.name, () => {
  it('submits with CertificateTemplate and extra attributes and gets the multi-fragment issued result', async () => {
    const { rpc, seen, pipe } = await connect(RpcAuthLevel.PKT_PRIVACY);
    const sut = await submitRequest(rpc, {
      caName: 'test-CA',
      template: 'WebServer',
      csrDer: Buffer.from('3003020100', 'hex'),
      attributes: { SAN: 'dns=a.example' },
    });
    expect(sut).toEqual({ status: 'issued', requestId: 17, certificate: CERT, pkcs7: CHAIN, message: 'Issued' });
    expect(seen[0]).toMatchObject({
      flags: 0,
      authority: 'test-CA',
      requestId: 0,
      attributeText: 'CertificateTemplate:WebServer\nSAN:dns=a.example',
      request: Buffer.from('3003020100', 'hex'),
    });
    expect(pipe.received.length).toBeGreaterThan(8);
  });

  it('returns pending with the id, then retrieves the certificate by id', async () => {
    const { rpc } = await connect(RpcAuthLevel.PKT_PRIVACY);
    const pending = await submitRequest(rpc, { caName: 'test-CA', template: 'Manual', csrDer: Buffer.from([1]) });
    expect(pending).toEqual({ status: 'pending', requestId: 99, message: 'Taken Under Submission' });
    await expect(retrieveRequest(rpc, { caName: 'test-CA', requestId: pending.requestId })).resolves.toMatchObject({
      status: 'issued',
      requestId: 99,
      certificate: CERT,
    });
  });

  it.each([
    ['a denied template', { caName: 'test-CA', template: 'Admin' }, 'CA_DENIED', Hresult.CERTSRV_E_TEMPLATE_DENIED],
    ['a wrong CA name', { caName: 'other-CA', template: 'WebServer' }, 'CA_DENIED', Hresult.E_INVALIDARG],
  ])('throws for %s', async (_name, opts, code, status) => {
    const { rpc } = await connect(RpcAuthLevel.PKT_PRIVACY);
    await expect(submitRequest(rpc, { ...opts, csrDer: Buffer.from([1]) })).rejects.toMatchObject({ code, status });
  });

  it('gets E_ACCESSDENIED in the return value below packet privacy (AD CS style)', async () => {
    const { rpc, seen } = await connect(RpcAuthLevel.PKT_INTEGRITY, { belowMinimumLevel: 'handler' });
    await expect(submitRequest(rpc, { caName: 'test-CA', template: 'WebServer', csrDer: Buffer.from([1]) })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      status: Hresult.E_ACCESSDENIED,
    });
    expect(seen).toEqual([]);
  });

  it('gets a FAULT access denied below packet privacy (default server policy)', async () => {
    const { rpc } = await connect(RpcAuthLevel.PKT_INTEGRITY);
    await expect(submitRequest(rpc, { caName: 'test-CA', template: 'WebServer', csrDer: Buffer.from([1]) })).rejects.toMatchObject({
      code: 'RPC_FAULT',
      status: 5,
    });
  });

  it('gets E_INVALIDARG when pctbAttribs.cb does not count the NUL (MS-ICPR 3.2.4.1.1)', async () => {
    const { rpc } = await connect(RpcAuthLevel.PKT_PRIVACY);
    const stub = encodeCertServerRequest({
      flags: 0,
      authority: 'test-CA',
      requestId: 0,
      attributes: Buffer.from('CertificateTemplate:WebServer', 'utf16le'),
      request: Buffer.from([1]),
    });
    const { callCertServerRequest } = await import('./client.js');
    await expect(callCertServerRequest(rpc, stub)).resolves.toMatchObject({ returnValue: Hresult.E_INVALIDARG });
  });

  it('gets FAULT bad stub data for an undecodable stub', async () => {
    const { rpc } = await connect(RpcAuthLevel.PKT_PRIVACY);
    await expect(rpc.call(0, Buffer.from('0000', 'hex'))).rejects.toMatchObject({ code: 'RPC_FAULT', status: 0x6f7 });
  });

  it.each([
    ['an empty CSR', { caName: 'test-CA', template: 'WebServer', csrDer: Buffer.alloc(0) }],
    ['an attribute value with a newline', { caName: 'test-CA', template: 'WebServer\nCertificateTemplate:Admin', csrDer: Buffer.from([1]) }],
  ])('refuses %s locally', async (_name, opts) => {
    const { rpc, seen } = await connect(RpcAuthLevel.PKT_PRIVACY);
    await expect(submitRequest(rpc, opts)).rejects.toBeInstanceOf(WcceError);
    expect(seen).toEqual([]);
  });
});

describe(retrieveRequest.name, () => {
  it('throws CA_DENIED for an unknown request id', async () => {
    const { rpc } = await connect(RpcAuthLevel.PKT_PRIVACY);
    await expect(retrieveRequest(rpc, { caName: 'test-CA', requestId: 5 })).rejects.toMatchObject({
      code: 'CA_DENIED',
      status: Hresult.CERTSRV_E_PROPERTY_EMPTY,
    });
  });

  it('refuses request id 0 locally', async () => {
    const { rpc } = await connect(RpcAuthLevel.PKT_PRIVACY);
    await expect(retrieveRequest(rpc, { caName: 'test-CA', requestId: 0 })).rejects.toMatchObject({ code: 'CONFIG' });
  });
});
