/**
 * TEST DOUBLE of CaClient: signs CSRs with a local CA instead of calling AD CS over MS-ICPR.
 * It stands in for the CA only where the CA is not the subject of the test (the queue round
 * trip); the MS-ICPR client is proven against adcs-sim and Samba in its own tests. Never wired
 * as a default: only tests construct it.
 */
import { EnrollErrorCode, type PendingRef } from '@enrollgate/contracts';
import { CertificateAuthority, createRootCa } from '@enrollgate/pki';
import { CaError, type CaClient, type CaOutcome, type CaSubmitRequest } from '../../src/ca/ca-client.js';

export type DoubleBehaviour = 'issue' | 'deny' | 'transient' | 'pending';

export class LocalCaClientDouble implements CaClient {
  calls = 0;
  /** Behaviour per call index (0-based); calls past the end use `fallback`. */
  script: DoubleBehaviour[] = [];
  fallback: DoubleBehaviour = 'issue';
  private nextRequestId = 1000;

  private constructor(readonly ca: CertificateAuthority) {}

  static async create(): Promise<LocalCaClientDouble> {
    return new LocalCaClientDouble(await createRootCa({ subject: 'CN=Local Double CA', key: 'p256' }));
  }

  private ref(): PendingRef {
    return { caRequestId: this.nextRequestId++, host: 'double.invalid', caName: 'Local Double CA' };
  }

  async submit(request: CaSubmitRequest): Promise<CaOutcome> {
    const behaviour = this.script[this.calls] ?? this.fallback;
    this.calls++;
    switch (behaviour) {
      case 'transient':
        throw new CaError(EnrollErrorCode.CA_UNREACHABLE, 'double: connection reset', true, { host: 'double.invalid' });
      case 'deny':
        return {
          kind: 'denied',
          error: { code: EnrollErrorCode.CA_DENIED, message: 'Denied by Policy Module', status: '0x80094012', statusName: 'CERTSRV_E_TEMPLATE_DENIED' },
        };
      case 'pending':
        return { kind: 'pending', ca: this.ref(), message: 'Taken Under Submission' };
      case 'issue': {
        const issued = await this.ca.issue({
          csr: new Uint8Array(request.csrDer),
          validityDays: 30,
          keyUsages: ['digitalSignature'],
          extendedKeyUsages: ['1.3.6.1.5.5.7.3.1'],
        });
        return { kind: 'issued', certificate: Buffer.from(issued.der), chain: issued.chain.slice(1).map((c) => Buffer.from(c)), ca: this.ref() };
      }
    }
  }

  async retrieve(ref: PendingRef): Promise<CaOutcome> {
    return { kind: 'pending', ca: ref };
  }

  async close(): Promise<void> {}
}
