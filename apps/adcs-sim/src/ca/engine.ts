/**
 * The simulated AD CS certification authority, independent of the wire protocol: the ICPR
 * handler decodes CertServerRequest and calls `submit` (or `retrieve` when pctbRequest is empty),
 * then encodes the result. Semantics follow research/wcce-protocol.md §2.4–2.6: disposition 3
 * with the leaf (pctbEncodedCert) and a certs-only PKCS#7 of leaf + chain (pctbCert), 5 when
 * pending, an HRESULT as the disposition on failure; retrieval reports 2 for denied requests and
 * CERTSRV_E_PROPERTY_EMPTY for an unknown id.
 *
 * State directory: `ca/` (issuing CA key + cert + chain), `root/` (when an intermediate is used),
 * `ca.pem` (the root certificate, what clients trust), `chain.pem` (issuing CA → root),
 * `sim.json`, and the request database (request-store.ts).
 */
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CertificateAuthority,
  Oid,
  buildCertsOnlyPkcs7,
  createRootCa,
  encodePem,
  encodePemBlocks,
  isPkiError,
  parseCsr,
  verifyCsr,
  type CsrInfo,
  type KeySpec,
} from '@enrollgate/pki';
import { RequestAttributes } from './attributes.js';
import { Disposition, HResult, MESSAGE_ISSUED, MESSAGE_UNDER_SUBMISSION, failureMessage, hresultHex } from './hresult.js';
import { evaluatePolicy, type PolicyDecision } from './policy.js';
import { RequestStore, type RequestRecord, type RequestStatus } from './request-store.js';
import { TemplateCatalog, type Template } from './templates.js';

export const DEFAULT_CA_NAME = 'enrollgate-sim-CA';

export interface SimCaEngineOptions {
  stateDir: string;
  /** the CA's common name, what ICPR clients pass as pwszAuthority; fixed once the state exists */
  caName?: string;
  /** key of a newly created CA (ignored when the state exists); default rsa2048 */
  caKey?: KeySpec;
  /** create a root plus an issuing intermediate instead of a single root (new state only) */
  intermediate?: boolean;
  /** JSON or YAML file overriding the built-in templates */
  templatesFile?: string;
  /** or a ready catalog (tests) */
  templates?: TemplateCatalog;
  /** EDITF_ATTRIBUTESUBJECTALTNAME2: honour the `SAN:` request attribute (off, as on a safe CA) */
  attributeSubjectAltName2?: boolean;
  clock?: () => Date;
}

export interface SubmitRequest {
  /** pwszAuthority: the CA's common name */
  caName: string;
  /** request attribute text (`CertificateTemplate:WebServer\nSAN:...`), already decoded from UTF-16 */
  attributes: string;
  /** PKCS#10 DER */
  csrDer: Uint8Array;
  /** authenticated caller (DOMAIN\user), for the database and audit */
  requester: string;
}

export interface CaResponse {
  /** pdwRequestId; 0 when the request never reached the database (unknown CA) */
  requestId: number;
  /** pdwDisposition: 3 issued, 5 pending, 2 denied (retrieval), else the failure HRESULT (unsigned) */
  disposition: number;
  /** pctbEncodedCert: the issued certificate (DER) */
  certificate?: Uint8Array;
  /** pctbCert: certs-only PKCS#7 with the issued certificate and the CA chain */
  pkcs7?: Uint8Array;
  /** pctbDispositionMessage text (the ICPR layer encodes it as NUL-terminated UTF-16LE) */
  message: string;
  /** the failure HRESULT, when there is one (also on a retrieval answering 2) */
  hresult?: number;
}

export type SimCaErrorCode = 'UNKNOWN_REQUEST' | 'NOT_PENDING' | 'STATE';

/** Administrative misuse (approve an unknown or already resolved request); never a wire answer. */
export class SimCaError extends Error {
  constructor(
    readonly code: SimCaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimCaError';
  }
}

export interface RequestSummary {
  requestId: number;
  status: RequestStatus;
  requester: string;
  template?: string;
  subject?: string;
  serialNumber?: string;
  hresult?: number;
  message: string;
  submittedAt: string;
  resolvedAt?: string;
}

interface SimState {
  version: 1;
  caName: string;
  createdAt: string;
  caKey: KeySpec;
  intermediate: boolean;
}

export class SimCaEngine {
  private readonly approving = new Set<number>();

  private constructor(
    readonly caName: string,
    /** the issuing CA */
    readonly ca: CertificateAuthority,
    readonly templates: TemplateCatalog,
    private readonly store: RequestStore,
    private readonly options: {
      attributeSubjectAltName2: boolean;
      clock: () => Date;
    },
  ) {}

  /** Creates the CA on first use, or loads it and the request database from `stateDir`. */
  static async open(options: SimCaEngineOptions): Promise<SimCaEngine> {
    const dir = options.stateDir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const statePath = join(dir, 'sim.json');
    let state: SimState | undefined;
    try {
      state = JSON.parse(await readFile(statePath, 'utf8')) as SimState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SimCaError('STATE', `${statePath}: ${(e as Error).message}`);
    }
    let ca: CertificateAuthority;
    if (state === undefined) {
      state = {
        version: 1,
        caName: options.caName ?? DEFAULT_CA_NAME,
        createdAt: new Date().toISOString(),
        caKey: options.caKey ?? 'rsa2048',
        intermediate: options.intermediate ?? false,
      };
      ca = await createCa(dir, state);
      await writeAtomic(statePath, JSON.stringify(state, null, 2) + '\n');
    } else {
      if (options.caName !== undefined && options.caName.toLowerCase() !== state.caName.toLowerCase()) {
        throw new SimCaError('STATE', `${dir} holds CA "${state.caName}", not "${options.caName}"; use another state directory`);
      }
      ca = await CertificateAuthority.load(join(dir, 'ca'));
    }
    const templates =
      options.templates ?? (options.templatesFile !== undefined ? await TemplateCatalog.fromFile(options.templatesFile) : TemplateCatalog.builtin());
    const store = await RequestStore.open(dir);
    return new SimCaEngine(state.caName, ca, templates, store, {
      attributeSubjectAltName2: options.attributeSubjectAltName2 ?? false,
      clock: options.clock ?? (() => new Date()),
    });
  }

  /** The CA chain, issuing CA first, as DER. */
  get chain(): Uint8Array[] {
    return this.ca.chain.map((c) => c.der);
  }

  /** ICPR CertServerRequest with a request (dwFlags 0, pctbRequest non-empty). */
  async submit(req: SubmitRequest): Promise<CaResponse> {
    if (!this.isThisCa(req.caName)) return unknownCa(req.caName);
    const requestId = this.store.allocateId();
    const now = this.options.clock();
    const record: RequestRecord = {
      requestId,
      status: 'denied',
      requester: req.requester,
      attributes: req.attributes,
      csr: Buffer.from(req.csrDer).toString('base64'),
      submittedAt: now.toISOString(),
      message: '',
    };

    let csr: CsrInfo;
    try {
      csr = parseCsr(req.csrDer);
      verifyCsr(csr);
    } catch (e) {
      if (!isPkiError(e)) throw e;
      const hresult = e.code === 'BAD_SIGNATURE' ? HResult.NTE_BAD_SIGNATURE : HResult.ERROR_INVALID_DATA;
      return this.reject(record, hresult, failureMessage(hresult, 'Error Parsing Request', e.message));
    }
    record.subject = csr.subject;

    // AD CS turns PKCS#10 name/value pairs into request attributes; the attribute text wins.
    const attributes = RequestAttributes.parse(req.attributes);
    for (const pair of csr.nameValuePairs) attributes.setDefault(pair.name, pair.value);

    const templateName = attributes.get('CertificateTemplate');
    if (templateName === undefined || templateName === '') {
      return this.reject(record, HResult.CERTSRV_E_NO_CERT_TYPE, failureMessage(HResult.CERTSRV_E_NO_CERT_TYPE));
    }
    const template = this.templates.get(templateName);
    if (template === undefined) {
      record.template = templateName;
      return this.reject(
        record,
        HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE,
        failureMessage(HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE, undefined, `Template: ${templateName}`),
      );
    }
    record.template = template.name;

    const decision = evaluatePolicy(template, csr, attributes, {
      attributeSubjectAltName2: this.options.attributeSubjectAltName2,
      now,
    });
    if (decision.kind === 'deny') return this.reject(record, decision.hresult, failureMessage(decision.hresult, undefined, decision.detail));
    record.validityDays = decision.validityDays;
    if (decision.kind === 'pend') {
      record.status = 'pending';
      record.message = MESSAGE_UNDER_SUBMISSION;
      await this.store.put(record);
      return {
        requestId,
        disposition: Disposition.UNDER_SUBMISSION,
        message: MESSAGE_UNDER_SUBMISSION,
      };
    }
    return this.issue(record, template, csr, decision, now);
  }

  /** ICPR CertServerRequest for status (pctbRequest empty): §2.6 semantics. */
  async retrieve(caName: string, requestId: number): Promise<CaResponse> {
    if (!this.isThisCa(caName)) return unknownCa(caName);
    const record = requestId === 0 ? undefined : this.store.get(requestId);
    if (record === undefined) {
      const hresult = requestId === 0 ? HResult.E_INVALIDARG : HResult.CERTSRV_E_PROPERTY_EMPTY;
      return {
        requestId,
        disposition: hresult,
        hresult,
        message: failureMessage(hresult, 'Error Retrieving Request'),
      };
    }
    return this.responseFor(record);
  }

  /** Certificate manager approval (certutil -resubmit): issues a pending request. */
  async approve(requestId: number): Promise<CaResponse> {
    const record = this.pendingRecord(requestId, 'approve');
    this.approving.add(requestId);
    try {
      const csr = parseCsr(Buffer.from(record.csr, 'base64'));
      const template = record.template === undefined ? undefined : this.templates.get(record.template);
      if (template === undefined) {
        // Unpublished since submission: AD CS then fails the resubmission the same way.
        return await this.reject(
          record,
          HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE,
          failureMessage(HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE, undefined, `Template: ${record.template ?? ''}`),
        );
      }
      const now = this.options.clock();
      const attributes = RequestAttributes.parse(record.attributes);
      for (const pair of csr.nameValuePairs) attributes.setDefault(pair.name, pair.value);
      const decision = evaluatePolicy(template, csr, attributes, {
        attributeSubjectAltName2: this.options.attributeSubjectAltName2,
        now,
      });
      if (decision.kind === 'deny') return await this.reject(record, decision.hresult, failureMessage(decision.hresult, undefined, decision.detail));
      return await this.issue(
        record,
        template,
        csr,
        {
          ...decision,
          validityDays: record.validityDays ?? decision.validityDays,
        },
        now,
      );
    } finally {
      this.approving.delete(requestId);
    }
  }

  /** Certificate manager denial (certutil -deny): retrieval then reports disposition 2. */
  async deny(requestId: number): Promise<CaResponse> {
    const record = this.pendingRecord(requestId, 'deny');
    const hresult = HResult.CERTSRV_E_ADMIN_DENIED_REQUEST;
    await this.reject(record, hresult, failureMessage(hresult, 'Denied by Administrator'));
    return this.responseFor(record);
  }

  list(status?: RequestStatus): RequestSummary[] {
    return this.store
      .list(status)
      .sort((a, b) => a.requestId - b.requestId)
      .map((r) => {
        const s: RequestSummary = {
          requestId: r.requestId,
          status: r.status,
          requester: r.requester,
          message: r.message,
          submittedAt: r.submittedAt,
        };
        if (r.template !== undefined) s.template = r.template;
        if (r.subject !== undefined) s.subject = r.subject;
        if (r.serialNumber !== undefined) s.serialNumber = r.serialNumber;
        if (r.hresult !== undefined) s.hresult = r.hresult;
        if (r.resolvedAt !== undefined) s.resolvedAt = r.resolvedAt;
        return s;
      });
  }

  /** Waits until every database change is on disk. */
  async close(): Promise<void> {
    await this.store.flush();
  }

  private async issue(
    record: RequestRecord,
    template: Template,
    csr: CsrInfo,
    decision: Extract<PolicyDecision, { kind: 'issue' | 'pend' }>,
    now: Date,
  ): Promise<CaResponse> {
    const issued = await this.ca.issue({
      csr,
      validityDays: decision.validityDays,
      keyUsages: decision.keyUsages,
      extendedKeyUsages: decision.extendedKeyUsages,
      sans: decision.sans,
      now,
      // szOID_ENROLL_CERTTYPE_EXTENSION: the template name as a BMPString, as AD CS adds for v1 templates.
      extraExtensions: [
        {
          oid: Oid.msCertificateTemplateName,
          critical: false,
          value: bmpString(template.name),
        },
      ],
    });
    record.status = 'issued';
    record.certificate = Buffer.from(issued.der).toString('base64');
    record.serialNumber = issued.serialNumber;
    record.message = MESSAGE_ISSUED;
    record.resolvedAt = now.toISOString();
    delete record.hresult;
    await this.store.put(record);
    return this.responseFor(record);
  }

  /** Records a failure; on submission the failure HRESULT is the disposition (§2.4). */
  private async reject(record: RequestRecord, hresult: number, message: string): Promise<CaResponse> {
    record.status = 'denied';
    record.hresult = hresult >>> 0;
    record.message = message;
    record.resolvedAt = this.options.clock().toISOString();
    await this.store.put(record);
    return {
      requestId: record.requestId,
      disposition: record.hresult,
      hresult: record.hresult,
      message,
    };
  }

  private responseFor(record: RequestRecord): CaResponse {
    switch (record.status) {
      case 'issued': {
        const certificate = new Uint8Array(Buffer.from(record.certificate ?? '', 'base64'));
        return {
          requestId: record.requestId,
          disposition: Disposition.ISSUED,
          certificate,
          // The CA's own output (issued here, kept in its database): no need to parse it again.
          pkcs7: buildCertsOnlyPkcs7([certificate, ...this.chain], { checked: true }),
          message: MESSAGE_ISSUED,
        };
      }
      case 'pending':
        return {
          requestId: record.requestId,
          disposition: Disposition.UNDER_SUBMISSION,
          message: MESSAGE_UNDER_SUBMISSION,
        };
      case 'denied': {
        const r: CaResponse = {
          requestId: record.requestId,
          disposition: Disposition.DENIED,
          message: record.message,
        };
        if (record.hresult !== undefined) r.hresult = record.hresult;
        return r;
      }
    }
  }

  private pendingRecord(requestId: number, action: string): RequestRecord {
    const record = this.store.get(requestId);
    if (record === undefined) throw new SimCaError('UNKNOWN_REQUEST', `cannot ${action}: no request ${requestId}`);
    if (record.status !== 'pending' || this.approving.has(requestId)) {
      throw new SimCaError('NOT_PENDING', `cannot ${action}: request ${requestId} is ${this.approving.has(requestId) ? 'being approved' : record.status}`);
    }
    return record;
  }

  private isThisCa(name: string): boolean {
    return name.trim().toLowerCase() === this.caName.toLowerCase();
  }
}

function unknownCa(name: string): CaResponse {
  // Exact ICPR value unverified; the CSRA analogue answers E_INVALIDARG (wcce-protocol.md §2.4).
  const hresult = HResult.E_INVALIDARG;
  return {
    requestId: 0,
    disposition: hresult,
    hresult,
    message: failureMessage(hresult, 'Error Constructing or Publishing Certificate', `No CA named "${name}" (${hresultHex(hresult)}).`),
  };
}

async function createCa(dir: string, state: SimState): Promise<CertificateAuthority> {
  let issuing: CertificateAuthority;
  if (state.intermediate) {
    const root = await createRootCa({
      subject: `CN=${state.caName} Root`,
      key: state.caKey,
      validityDays: 7300,
    });
    await root.save(join(dir, 'root'));
    issuing = await root.createSubordinate({
      subject: `CN=${state.caName}`,
      key: state.caKey,
      validityDays: 3650,
    });
  } else {
    issuing = await createRootCa({
      subject: `CN=${state.caName}`,
      key: state.caKey,
      validityDays: 3650,
    });
  }
  await issuing.save(join(dir, 'ca'));
  await writeAtomic(join(dir, 'ca.pem'), encodePem('CERTIFICATE', issuing.root.der));
  await writeAtomic(
    join(dir, 'chain.pem'),
    encodePemBlocks(
      'CERTIFICATE',
      issuing.chain.map((c) => c.der),
    ),
  );
  return issuing;
}

/** DER BMPString (template names are at most 64 characters, so at most 128 octets). */
function bmpString(s: string): Uint8Array {
  const body = Buffer.from(s, 'utf16le').swap16();
  const length = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return new Uint8Array(Buffer.concat([Buffer.from([0x1e, ...length]), body]));
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
