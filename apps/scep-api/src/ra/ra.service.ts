/**
 * The RA certificates NDES-style (research/scep-windows.md §2.1): a signing certificate
 * (EnrollmentAgentOffline: KU digitalSignature, EKU Certificate Request Agent) that signs every
 * CertRep, and an encryption certificate (CEPEncryption: KU keyEncipherment) that clients encrypt
 * their requests to; then the CA chain. Either given as files, or (as NDES does at install time)
 * made here: keys generated locally, certificates enrolled from the CA through the queue like any
 * request, kept in SCEP_RA_DIR, and renewed SCEP_RA_RENEW_BEFORE_DAYS before they expire (an
 * expired RA certificate is the classic NDES outage). Their expiry is exported as a metric.
 *
 * With SCEP_RA_STORE=database the identities live in the shared database instead (private keys
 * sealed with SCEP_RA_KEY_ENCRYPTION_KEY), so every replica serves the same RA certificates: the
 * replica that first claims the next generation of a usage (one INSERT wins: UNIQUE (usage,
 * generation)) generates the key and its CSR and stores both with the claim; the request goes
 * through the queue under a request key derived from the CSR, so whichever replicas wait for it
 * (the claimant, the others, or a replica resuming after the claimant died) submit the same
 * enrollment and the CA sees one request. Every replica re-reads the store every
 * SCEP_RA_STORE_REFRESH_SECONDS, and at once (at most every SCEP_RA_STORE_RECHECK_SECONDS) when a
 * request is encrypted to a certificate it does not know yet.
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EnrollJob } from '@enrollgate/contracts';
import { FrontendRuntime } from '@enrollgate/enrollment';
import { ConfigError, LOGGER, Metrics, type Logger } from '@enrollgate/platform';
import {
  buildCsr,
  decodePem,
  encodePem,
  exportPrivateKeyPem,
  generateKeyPair,
  isSelfIssued,
  parseCertificate,
  scep,
  type CertificateInfo,
} from '@enrollgate/pki';
import { RaKeyCipher, RaKeyDecryptionError, ScepRaIdentityRepository, type StoredRaIdentity } from '@enrollgate/store';
import type { Gauge } from 'prom-client';
import { SCEP_CLOCK, SCEP_CONFIG } from '../tokens.js';
import type { ScepConfig } from '../config.js';

export type RaUsage = 'signing' | 'encryption';

export interface RaIdentity {
  certificate: CertificateInfo;
  key: KeyObject;
}

export interface RaState {
  signing: RaIdentity;
  encryption: RaIdentity;
  /** issuing CA first, up to the root when known */
  chain: CertificateInfo[];
}

export class RaNotReadyError extends Error {
  constructor() {
    super('the SCEP RA certificates are not provisioned yet (enrolling from the CA); retry shortly');
    this.name = 'RaNotReadyError';
  }
}

const DAY_MS = 86_400_000;
const USAGES = ['signing', 'encryption'] as const;
/** older encryption identities kept for decryption after a renewal */
const PREVIOUS_ENCRYPTION = 2;

@Injectable()
export class RaService implements OnApplicationBootstrap, OnModuleDestroy {
  private state: RaState | undefined;
  /** older encryption identities still accepted for decryption after a renewal */
  private previous: RaIdentity[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private provisioning: Promise<void> | undefined;
  private readonly expiry: Gauge<'usage'>;
  private readonly nextCa: CertificateInfo[] | undefined;
  /** SCEP_RA_STORE=database: the shared store; undefined for files and dir */
  private readonly shared: ScepRaIdentityRepository | undefined;
  /** identities parsed from stored rows, by row id (rows never change once issued) */
  private readonly parsed = new Map<string, RaIdentity>();
  private stateIds = '';
  /** generation of the newest identity served per usage (shared store) */
  private served: Partial<Record<(typeof USAGES)[number], number>> = {};
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRecheck = 0;

  constructor(
    @Inject(SCEP_CONFIG) private readonly config: ScepConfig,
    @Inject(FrontendRuntime) private readonly runtime: FrontendRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Optional() @Inject(SCEP_CLOCK) private readonly clock: () => number = Date.now,
  ) {
    this.expiry = metrics.gauge('scep_ra_certificate_expiry_timestamp_seconds', 'notAfter of the SCEP RA certificates (Unix seconds)', ['usage']);
    if (config.SCEP_RA_MODE === 'files') this.setState(this.loadFiles());
    this.nextCa = config.SCEP_NEXT_CA_CHAIN_FILE ? readChain(config.SCEP_NEXT_CA_CHAIN_FILE) : undefined;
    if (config.SCEP_RA_MODE === 'enroll' && config.SCEP_RA_STORE === 'database') {
      const cipher = config.SCEP_RA_KEY_ENCRYPTION_KEY && RaKeyCipher.fromBase64(config.SCEP_RA_KEY_ENCRYPTION_KEY.reveal());
      if (!cipher) throw new ConfigError('scep-api', ['SCEP_RA_KEY_ENCRYPTION_KEY: expected base64 of exactly 32 bytes; required with SCEP_RA_STORE=database']);
      this.shared = new ScepRaIdentityRepository(runtime.database, cipher);
    }
  }

  /**
   * GetNextCACert: the configured rollover CA certificate (then its chain), while it is not yet
   * the issuing CA in use; undefined when there is none (not advertised, GetNextCACert → 404).
   */
  nextCaCertificates(): CertificateInfo[] | undefined {
    const next = this.nextCa;
    if (!next?.length || !this.state) return undefined;
    const current = this.state.chain[0];
    return current && Buffer.compare(current.der, next[0]!.der) === 0 ? undefined : next;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.SCEP_RA_MODE !== 'enroll') return;
    if (this.shared) {
      // what the store holds must open with this key before the replica serves anything
      try {
        await this.refresh();
      } catch (e) {
        if (e instanceof RaKeyDecryptionError)
          throw new ConfigError('scep-api', [
            `SCEP_RA_KEY_ENCRYPTION_KEY: does not decrypt the RA private keys stored in the database (${e.what}); every replica needs the key they were stored with`,
          ]);
        throw e;
      }
      this.refreshTimer = setInterval(
        () => void this.refresh().catch((e: unknown) => this.logger.error({ err: e }, 'reading the shared SCEP RA store failed')),
        this.config.SCEP_RA_STORE_REFRESH_SECONDS * 1000,
      );
      this.refreshTimer.unref();
    }
    // provisioning at start-up is the first check (a check still running makes the next hourly one wait its turn)
    void this.checkRenewal();
    this.timer = setInterval(() => void this.checkRenewal(), 3600_000);
    this.timer.unref();
  }

  /** The hourly check: renews an RA certificate that is within SCEP_RA_RENEW_BEFORE_DAYS of its expiry. */
  checkRenewal(): Promise<void> {
    this.provisioning ??= (this.shared ? this.ensureEnrolledShared(this.shared) : this.ensureEnrolled())
      .catch((e: unknown) => this.logger.error({ err: e }, 'SCEP RA renewal failed'))
      .finally(() => (this.provisioning = undefined));
    return this.provisioning;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  get ready(): boolean {
    return this.state !== undefined;
  }

  current(): RaState {
    if (!this.state) throw new RaNotReadyError();
    return this.state;
  }

  /** Waits until the RA is provisioned (tests, start-up scripts). */
  async whenReady(timeoutMs: number): Promise<RaState> {
    const deadline = Date.now() + timeoutMs;
    while (!this.state && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return this.current();
  }

  /** Identities that can open request envelopes: the current encryption (and signing) key, then older ones. */
  decryptionIdentities(): scep.DecryptionIdentity[] {
    const s = this.current();
    const ids = [s.encryption, s.signing, ...this.previous].map((i) => ({ certificate: i.certificate.der, key: i.key }));
    return ids.filter((id, n) => ids.findIndex((o) => Buffer.compare(o.certificate, id.certificate) === 0) === n);
  }

  /** GetCACert content: RA signing, RA encryption (if distinct), issuing CA … root. */
  caCertificates(): Uint8Array[] {
    const s = this.current();
    const ra = [s.signing.certificate.der];
    if (Buffer.compare(s.encryption.certificate.der, s.signing.certificate.der) !== 0) ra.push(s.encryption.certificate.der);
    const chain = this.config.SCEP_INCLUDE_ROOT ? s.chain : s.chain.filter((c) => !isSelfIssued(c) || s.chain.length === 1);
    return [...ra, ...chain.map((c) => c.der)];
  }

  private setState(state: RaState): void {
    this.state = state;
    this.expiry.set({ usage: 'signing' }, Math.floor(state.signing.certificate.notAfter.getTime() / 1000));
    this.expiry.set({ usage: 'encryption' }, Math.floor(state.encryption.certificate.notAfter.getTime() / 1000));
  }

  private loadFiles(): RaState {
    const c = this.config;
    const read = (file: string) => readFileSync(file, 'utf8');
    const signing = { certificate: parseCertificate(read(c.SCEP_RA_SIGNING_CERT_FILE!)), key: createPrivateKey(read(c.SCEP_RA_SIGNING_KEY_FILE!)) };
    const encryption =
      c.SCEP_RA_ENCRYPTION_CERT_FILE && c.SCEP_RA_ENCRYPTION_KEY_FILE
        ? { certificate: parseCertificate(read(c.SCEP_RA_ENCRYPTION_CERT_FILE)), key: createPrivateKey(read(c.SCEP_RA_ENCRYPTION_KEY_FILE)) }
        : signing;
    return { signing, encryption, chain: readChain(c.SCEP_CA_CHAIN_FILE!) };
  }

  // ---- enroll mode, shared store (SCEP_RA_STORE=database) ----

  /**
   * Re-reads the shared store and serves its newest issued identities (older encryption ones stay
   * usable for decryption). Returns true when what this replica serves changed.
   */
  async refresh(): Promise<boolean> {
    const store = this.shared;
    if (!store) return false;
    const [signingRows, encryptionRows] = await Promise.all([store.issued('signing', 2), store.issued('encryption', 1 + PREVIOUS_ENCRYPTION)]);
    const [signingRow] = signingRows;
    const [encryptionRow] = encryptionRows;
    if (!signingRow || !encryptionRow) return false;
    const ids = [...signingRows, ...encryptionRows].map((r) => r.id).join(',');
    if (ids === this.stateIds) return false;
    const chainPem = signingRow.issuedAt! >= encryptionRow.issuedAt! ? signingRow.chainPem : encryptionRow.chainPem;
    const chain = decodePem(chainPem ?? '').map((b) => parseCertificate(b.der));
    const signing = this.identityOf(signingRow);
    const encryption = this.identityOf(encryptionRow);
    this.previous = [...encryptionRows.slice(1), ...signingRows.slice(1)].map((r) => this.identityOf(r));
    const known = new Set([...signingRows, ...encryptionRows].map((r) => r.id));
    for (const id of this.parsed.keys()) if (!known.has(id)) this.parsed.delete(id);
    this.setState({ signing, encryption, chain });
    this.stateIds = ids;
    this.served = { signing: signingRow.generation, encryption: encryptionRow.generation };
    this.logger.info(
      {
        store: 'database',
        signing: { generation: signingRow.generation, serial: signingRow.serial, notAfter: signingRow.notAfter },
        encryption: { generation: encryptionRow.generation, serial: encryptionRow.serial, notAfter: encryptionRow.notAfter },
        caThumbprint: chain[chain.length - 1]?.sha1Thumbprint,
        issuingCaThumbprint: chain[0]?.sha1Thumbprint,
      },
      'SCEP RA certificates ready',
    );
    return true;
  }

  /**
   * A request was encrypted to a certificate this replica does not know: another replica may have
   * renewed. Re-reads the store at most once per SCEP_RA_STORE_RECHECK_SECONDS; true when that
   * brought new identities (worth another try).
   */
  async recheckStore(): Promise<boolean> {
    if (!this.shared || Date.now() - this.lastRecheck < this.config.SCEP_RA_STORE_RECHECK_SECONDS * 1000) return false;
    this.lastRecheck = Date.now();
    try {
      return await this.refresh();
    } catch (e) {
      this.logger.error({ err: e }, 'reading the shared SCEP RA store failed');
      return false;
    }
  }

  private identityOf(row: StoredRaIdentity): RaIdentity {
    let identity = this.parsed.get(row.id);
    if (!identity) {
      identity = { certificate: parseCertificate(row.certificatePem!), key: createPrivateKey(row.privateKeyPem) };
      this.parsed.set(row.id, identity);
    }
    return identity;
  }

  /**
   * For each usage: completes a pending enrollment (whoever claimed it), or claims and enrolls the
   * next generation when the newest is missing or due; then serves what the store holds.
   */
  private async ensureEnrolledShared(store: ScepRaIdentityRepository): Promise<void> {
    // What this replica served when the check began: a newer generation in the store was renewed
    // by another replica meanwhile, and is adopted, not renewed again in the same check.
    const servedAtStart = { ...this.served };
    await this.refresh();
    for (const usage of USAGES) {
      let enrolled = false;
      while (!this.stopped && !enrolled) {
        const latest = await store.latest(usage);
        let row = latest?.status === 'pending' ? latest : undefined;
        if (!row) {
          const served = servedAtStart[usage];
          if (latest && served !== undefined && latest.generation > served) break;
          if (!this.needsRenewalAt(latest?.notAfter)) break;
          const generation = (latest?.generation ?? 0) + 1;
          const claimed = await store.claim({ usage, generation, ...(await this.newRequest(usage)) });
          if (claimed) this.logger.info({ usage, generation, requestKey: claimed.requestKey }, 'claimed the next SCEP RA certificate: enrolling it');
          else this.logger.info({ usage, generation }, 'another replica claimed the next SCEP RA certificate: waiting for it');
          row = claimed ?? (await store.latest(usage));
          if (!row) continue;
          if (row.status === 'issued') break;
        }
        const outcome = await this.completeShared(store, row);
        if (outcome === 'refused') await this.sleep(60_000);
        else enrolled = true;
      }
    }
    await this.refresh();
  }

  /** Submits the row's request (idempotent per request key: one CA request whoever submits) and stores what the CA answers. */
  private async completeShared(store: ScepRaIdentityRepository, row: StoredRaIdentity): Promise<'issued' | 'refused' | 'stopped'> {
    await this.runtime.producer.submit(this.job(row.usage, row.requestKey, row.template, row.csr));
    let warned = false;
    while (!this.stopped) {
      const e = await this.runtime.waitForResult(row.requestKey, 30_000);
      if (e?.status === 'issued' && e.certificate) {
        const certificate = parseCertificate(Buffer.from(e.certificate, 'base64'));
        const chain = (e.chain ?? []).map((c) => Buffer.from(c, 'base64'));
        await store.markIssued(row.id, {
          certificatePem: encodePem('CERTIFICATE', certificate.der),
          serial: certificate.serialNumber,
          chainPem: chain.map((c) => encodePem('CERTIFICATE', c)).join(''),
          notAfter: certificate.notAfter,
        });
        return 'issued';
      }
      if (e?.status === 'denied' || e?.status === 'failed') {
        const template = row.template;
        this.logger.error({ usage: row.usage, template, error: e.error }, 'the CA refused the SCEP RA certificate request; a new request follows in 60 s');
        await store.discardPending(row.id);
        return 'refused';
      }
      if (e?.status === 'pending') {
        if (!warned)
          this.logger.warn({ usage: row.usage, requestKey: row.requestKey, ca: e.ca }, 'SCEP RA certificate request is pending at the CA (approve it there)');
        warned = true;
        await this.sleep(5_000);
      }
    }
    return 'stopped';
  }

  /** A new RA key and its CSR for `usage`; the request key is derived from the CSR. */
  private async newRequest(usage: RaUsage): Promise<{ requestKey: string; template: string; csr: Uint8Array; privateKeyPem: string }> {
    const keys = await generateKeyPair('rsa2048');
    const template = this.templateOf(usage);
    const csr = await buildCsr({
      subject: `CN=${this.config.SCEP_RA_NAME}-MSCEP-RA${usage === 'encryption' ? '-ENC' : ''}`,
      keys,
      keyUsages: usage === 'signing' ? ['digitalSignature'] : ['keyEncipherment'],
      templateName: template,
    });
    return { requestKey: requestKeyOf(usage, csr.der), template, csr: csr.der, privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
  }

  private templateOf(usage: RaUsage): string {
    return usage === 'signing' ? this.config.SCEP_RA_SIGNING_TEMPLATE : this.config.SCEP_RA_ENCRYPTION_TEMPLATE;
  }

  private job(usage: RaUsage, requestKey: string, template: string, csr: Uint8Array): EnrollJob {
    return {
      requestKey,
      protocol: 'scep',
      csr: Buffer.from(csr).toString('base64'),
      template,
      ...(this.config.SCEP_CA_POOL ? { caPool: this.config.SCEP_CA_POOL } : {}),
      requester: { protocol: 'scep', subject: `scep-api RA (${usage})` },
      submittedAt: new Date().toISOString(),
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms).unref());
  }

  private needsRenewalAt(notAfter: string | Date | null | undefined): boolean {
    return notAfter == null || new Date(notAfter).getTime() - this.clock() < this.config.SCEP_RA_RENEW_BEFORE_DAYS * DAY_MS;
  }

  // ---- enroll mode ----

  private dir(): string {
    mkdirSync(this.config.SCEP_RA_DIR, { recursive: true, mode: 0o700 });
    return this.config.SCEP_RA_DIR;
  }

  private loadStored(usage: RaUsage): RaIdentity | undefined {
    const certFile = join(this.dir(), `${usage}.cert.pem`);
    const keyFile = join(this.dir(), `${usage}.key.pem`);
    if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
    return { certificate: parseCertificate(readFileSync(certFile, 'utf8')), key: createPrivateKey(readFileSync(keyFile, 'utf8')) };
  }

  private loadChain(): CertificateInfo[] {
    const file = join(this.dir(), 'chain.pem');
    if (!existsSync(file)) return [];
    return decodePem(readFileSync(file, 'utf8')).map((b) => parseCertificate(b.der));
  }

  private needsRenewal(identity: RaIdentity | undefined): boolean {
    return this.needsRenewalAt(identity?.certificate.notAfter);
  }

  /** Loads stored RA identities and enrolls (or renews) whichever is missing or due. */
  async ensureEnrolled(): Promise<void> {
    let signing = this.loadStored('signing');
    let encryption = this.loadStored('encryption');
    let chain = this.loadChain();
    if (signing && encryption && chain.length > 0) this.setState({ signing, encryption, chain });
    for (const usage of ['signing', 'encryption'] as const) {
      const existing = usage === 'signing' ? signing : encryption;
      if (!this.needsRenewal(existing)) continue;
      const enrolled = await this.enroll(usage);
      if (enrolled === undefined) return;
      if (usage === 'signing') signing = enrolled.identity;
      else {
        if (encryption) this.previous = [encryption, ...this.previous].slice(0, 2);
        encryption = enrolled.identity;
      }
      chain = enrolled.chain;
    }
    if (signing && encryption) {
      this.setState({ signing, encryption, chain });
      this.logger.info(
        {
          signing: { subject: signing.certificate.subject, notAfter: signing.certificate.notAfter },
          encryption: { subject: encryption.certificate.subject, notAfter: encryption.certificate.notAfter },
          caThumbprint: chain[chain.length - 1]?.sha1Thumbprint,
          issuingCaThumbprint: chain[0]?.sha1Thumbprint,
        },
        'SCEP RA certificates ready',
      );
    }
  }

  private async enroll(usage: RaUsage): Promise<{ identity: RaIdentity; chain: CertificateInfo[] } | undefined> {
    const dir = this.dir();
    const pendingKey = join(dir, `${usage}.pending.key.pem`);
    const pendingCsr = join(dir, `${usage}.pending.csr.der`);
    // a request made before a restart is resumed with the same key and CSR: same request key, no second enrollment
    if (!existsSync(pendingKey) || !existsSync(pendingCsr)) {
      const keys = await generateKeyPair('rsa2048');
      const template = usage === 'signing' ? this.config.SCEP_RA_SIGNING_TEMPLATE : this.config.SCEP_RA_ENCRYPTION_TEMPLATE;
      const csr = await buildCsr({
        subject: `CN=${this.config.SCEP_RA_NAME}-MSCEP-RA${usage === 'encryption' ? '-ENC' : ''}`,
        keys,
        keyUsages: usage === 'signing' ? ['digitalSignature'] : ['keyEncipherment'],
        templateName: template,
      });
      writeFileSync(pendingKey, await exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
      writeFileSync(pendingCsr, csr.der);
    }
    const csrDer = readFileSync(pendingCsr);
    const requestKey = requestKeyOf(usage, csrDer);
    const template = this.templateOf(usage);
    await this.runtime.producer.submit(this.job(usage, requestKey, template, csrDer));
    this.logger.info({ usage, template, requestKey }, 'enrolling SCEP RA certificate through the queue');
    while (!this.stopped) {
      const e = await this.runtime.waitForResult(requestKey, 30_000);
      if (e?.status === 'issued' && e.certificate) {
        const certificate = parseCertificate(Buffer.from(e.certificate, 'base64'));
        const chain = (e.chain ?? []).map((c) => parseCertificate(Buffer.from(c, 'base64')));
        renameSync(pendingKey, join(dir, `${usage}.key.pem`));
        writeFileSync(join(dir, `${usage}.cert.pem`), encodePem('CERTIFICATE', certificate.der));
        writeFileSync(join(dir, 'chain.pem'), chain.map((c) => encodePem('CERTIFICATE', c.der)).join(''));
        rmSync(pendingCsr, { force: true });
        return { identity: { certificate, key: createPrivateKey(readFileSync(join(dir, `${usage}.key.pem`), 'utf8')) }, chain };
      }
      if (e?.status === 'denied' || e?.status === 'failed') {
        this.logger.error({ usage, template, error: e.error }, 'the CA refused the SCEP RA certificate request; a new request follows in 60 s');
        rmSync(pendingKey, { force: true });
        rmSync(pendingCsr, { force: true });
        await new Promise((r) => setTimeout(r, 60_000).unref());
        return this.stopped ? undefined : this.enroll(usage);
      }
      if (e?.status === 'pending') {
        this.logger.warn({ usage, requestKey, ca: e.ca }, 'SCEP RA certificate request is pending at the CA (approve it there)');
        await this.sleep(5_000);
      }
    }
    return undefined;
  }
}

/** The queue's request key of an RA enrollment: derived from the CSR, so a resumed request is the same request. */
function requestKeyOf(usage: RaUsage, csrDer: Uint8Array): string {
  return `ra-${usage}-${createHash('sha256').update(csrDer).digest('hex').slice(0, 32)}`;
}

/** The certificates of a PEM file, in order; a file without one is a start-up error. */
function readChain(file: string): CertificateInfo[] {
  const certs = decodePem(readFileSync(file, 'utf8'))
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificate(b.der));
  if (certs.length === 0) throw new Error(`${file}: no PEM CERTIFICATE in it`);
  return certs;
}
