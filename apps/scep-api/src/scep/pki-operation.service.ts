/**
 * PKIOperation (RFC 8894 §3.3): parse and verify the pkiMessage, open its envelope with the RA
 * key, act on the message type, and answer with a CertRep signed by the RA. Every SCEP-level
 * error is a CertRep FAILURE (HTTP 200); only a message that cannot be answered at all (not a
 * pkiMessage) is an HTTP error (research/scep-windows.md §1.4).
 *
 * Flow of a PKCSReq: transaction (retry?) → policy (libs/policy: names, key, template by key
 * usage, attributes) → challenge → enqueue → wait SCEP_WAIT_SECONDS → SUCCESS / FAILURE /
 * PENDING; CertPoll later finds the result.
 */
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import type { EnrollJob } from '@enrollgate/contracts';
import { FrontendRuntime } from '@enrollgate/enrollment';
import { LOGGER, Metrics, type Logger } from '@enrollgate/platform';
import { certificateSerialNumber, derFrom, isPkiError, isSelfIssued, readCsr, scep, verifyIssuedBy, type CsrInfo } from '@enrollgate/pki';
import { ScepTransactionRepository, type Enrollment } from '@enrollgate/store';
import type { Counter } from 'prom-client';
import { ChallengeService } from '../challenges/challenge.service.js';
import type { ScepConfig } from '../config.js';
import { ScepPolicyService } from '../policy/scep-policy.service.js';
import type { ScepProfile } from '../profiles/profiles.js';
import { RaService } from '../ra/ra.service.js';
import { SCEP_CONFIG } from '../tokens.js';
import { outcomeForEnrollment } from './outcome.js';

export class UnanswerableMessageError extends Error {}

interface Answer {
  outcome: scep.CertRepOutcome;
  /** the policy's {decision, rule} for a new PKCSReq/RenewalReq (logged) */
  policy?: { decision: 'allow' | 'reject'; rule: string };
  certificateSerial?: string;
  /** the request's content cipher, once the envelope was opened (the reply mirrors it) */
  cipher?: scep.ContentCipher;
}

function failure(failInfo: scep.FailInfo, text: string): Answer {
  return { outcome: { status: 'FAILURE', failInfo, failInfoText: text } };
}

@Injectable()
export class PkiOperationService {
  private readonly transactions: ScepTransactionRepository;
  private readonly operations: Counter<'message_type' | 'status'>;
  private readonly crl: Uint8Array | undefined;

  constructor(
    @Inject(SCEP_CONFIG) private readonly config: ScepConfig,
    @Inject(FrontendRuntime) private readonly runtime: FrontendRuntime,
    @Inject(RaService) private readonly ra: RaService,
    @Inject(ChallengeService) private readonly challenges: ChallengeService,
    @Inject(ScepPolicyService) private readonly policy: ScepPolicyService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.transactions = new ScepTransactionRepository(runtime.database, { retentionMs: config.SCEP_TRANSACTION_RETENTION_HOURS * 3600_000 });
    this.crl = config.SCEP_CRL_FILE ? readCrl(config.SCEP_CRL_FILE) : undefined;
    this.operations = metrics.counter('scep_pki_operations_total', 'SCEP PKIOperation requests by message type and CertRep status', ['message_type', 'status']);
  }

  /** Purges expired transactions (called periodically). */
  purge(): Promise<number> {
    return this.transactions.purgeExpired();
  }

  /** Handles one pkiMessage; returns the DER CertRep. Throws UnanswerableMessageError (HTTP 400). */
  async handle(der: Uint8Array, profile: ScepProfile, remoteAddress?: string): Promise<Uint8Array> {
    let message: scep.PkiMessage;
    try {
      message = scep.parsePkiMessage(der);
    } catch (e) {
      throw new UnanswerableMessageError(e instanceof Error ? e.message : String(e));
    }
    const answer = await this.answer(message, profile, remoteAddress).catch((e: unknown): Answer => {
      if (scep.isScepError(e)) return failure(e.failInfo, e.message);
      this.logger.error({ err: e, transactionId: message.transactionId }, 'PKIOperation failed unexpectedly');
      return failure(scep.FailInfo.badRequest, 'internal error');
    });
    const ra = this.ra.current();
    const o = answer.outcome;
    this.operations.inc({ message_type: scep.messageTypeName(message.messageType), status: o.status });
    this.logger.info(
      {
        transactionId: message.transactionId,
        messageType: scep.messageTypeName(message.messageType),
        profile: profile.name,
        status: o.status,
        ...(answer.policy ? { policy: answer.policy } : {}),
        ...(o.status === 'FAILURE' ? { failInfo: scep.failInfoName(o.failInfo), reason: o.failInfoText } : {}),
      },
      'PKIOperation',
    );
    return scep.buildCertRep({
      outcome: o,
      transactionIdDer: message.transactionIdDer,
      ...(message.senderNonce ? { recipientNonce: message.senderNonce } : {}),
      digest: message.digest,
      signerCertificate: ra.signing.certificate.der,
      signerKey: ra.signing.key,
      extraCertificates: ra.chain.map((c) => c.der),
      recipientCertificate: message.signerCertificate.der,
      requestCipher: answer.cipher ?? 'aes-128-cbc',
    });
  }

  private async answer(message: scep.PkiMessage, profile: ScepProfile, remoteAddress?: string): Promise<Answer> {
    try {
      scep.verifyPkiMessage(message);
    } catch (e) {
      if (scep.isScepError(e)) return failure(scep.FailInfo.badMessageCheck, e.message);
      throw e;
    }
    const open = () => scep.openPkiEnvelope(message, this.ra.decryptionIdentities(), { allowSingleDes: this.config.SCEP_ALLOW_SINGLE_DES });
    let opened: ReturnType<typeof open>;
    try {
      opened = open();
    } catch (e) {
      // encrypted to an RA certificate another replica enrolled since this one last read the shared store
      if (!scep.isScepError(e, 'NOT_RECIPIENT') || !(await this.ra.recheckStore())) throw e;
      opened = open();
    }
    const requestKey = this.requestKey(profile, message);
    const answer = await this.dispatch(message, opened.content, profile, requestKey, remoteAddress);
    return { ...answer, cipher: opened.cipher };
  }

  private async dispatch(message: scep.PkiMessage, content: Uint8Array, profile: ScepProfile, requestKey: string, remoteAddress?: string): Promise<Answer> {
    const opened = { content };
    switch (message.messageType) {
      case scep.MessageType.PKCSReq:
      case scep.MessageType.RenewalReq:
        return this.enroll(message, opened.content, profile, requestKey, remoteAddress);
      case scep.MessageType.CertPoll:
        scep.parseIssuerAndSubject(opened.content);
        return this.poll(requestKey);
      case scep.MessageType.GetCert:
        return this.getCert(scep.parseIssuerAndSerial(opened.content));
      case scep.MessageType.GetCRL:
        scep.parseIssuerAndSerial(opened.content);
        return this.getCrl();
      default:
        return failure(scep.FailInfo.badRequest, `messageType ${message.messageType} is not a request this server handles`);
    }
  }

  /** (profile, signer key, transactionID): what a retry and a CertPoll of one request share. */
  private requestKey(profile: ScepProfile, message: scep.PkiMessage): string {
    return `${profile.name}|${scep.sha256Hex(message.signerCertificate.spki).slice(0, 32)}|${message.transactionId}`;
  }

  private async enroll(message: scep.PkiMessage, csrDer: Uint8Array, profile: ScepProfile, requestKey: string, remoteAddress?: string): Promise<Answer> {
    let csr: CsrInfo;
    try {
      csr = readCsr(csrDer);
    } catch (e) {
      if (isPkiError(e)) return failure(scep.FailInfo.badRequest, `the CSR does not verify: ${e.message}`);
      throw e;
    }
    const csrHash = scep.sha256Hex(csr.der);
    const existing = await this.transactions.get(requestKey);
    if (existing) {
      // a retried request (Windows and Intune retry): answered from the enrollment, challenge not re-checked
      if (existing.csrSha256 !== csrHash) return failure(scep.FailInfo.badRequest, 'this transactionID was used for another request');
      return this.answerFrom(requestKey, await this.runtime.enrollments.get('scep', requestKey));
    }
    // policy before the challenge: a refused request must not burn a one-time challenge
    const decision = this.policy.decide(csr, profile, { transactionId: message.transactionId });
    const policy = { decision: decision.decision, rule: decision.rule };
    if (decision.decision === 'reject') return { ...failure(scep.FailInfo.badRequest, decision.detail), policy };
    let challengeId: string | undefined;
    if (message.messageType === scep.MessageType.RenewalReq) {
      const why = this.renewalSignerProblem(message);
      if (why) return { ...failure(scep.FailInfo.badMessageCheck, why), policy };
    } else {
      const check = await this.challenges.check(profile, csr, requestKey);
      if (!check.ok) return { ...failure(scep.FailInfo.badRequest, check.reason), policy };
      const bindingProblem = check.binding ? this.bindingProblem(check.binding, csr, decision.template) : undefined;
      if (bindingProblem) return { ...failure(scep.FailInfo.badRequest, bindingProblem), policy };
      challengeId = check.challengeId;
    }

    const { template, caPool } = decision;
    const attributes = { ...decision.attributes, ...this.validityAttributes(csr, profile) };
    await this.transactions.createOrGet({
      requestKey,
      transactionId: message.transactionId,
      profile: profile.name,
      signerKeySha256: scep.sha256Hex(message.signerCertificate.spki),
      messageType: message.messageType,
      csrSha256: csrHash,
      challengeId: challengeId ?? null,
    });
    const job: EnrollJob = {
      requestKey,
      protocol: 'scep',
      csr: Buffer.from(csr.der).toString('base64'),
      template,
      ...(caPool ? { caPool } : {}),
      ...(Object.keys(attributes).length ? { attributes } : {}),
      requester: { protocol: 'scep', subject: message.signerCertificate.info?.subject ?? 'unknown signer', ...(remoteAddress ? { remoteAddress } : {}) },
      submittedAt: new Date().toISOString(),
    };
    // Submitted once the wait listens: its row is the first state (no second read), and a result
    // arriving right after the enqueue wakes the wait.
    const enrollment = await this.runtime.waitForResult(
      requestKey,
      this.config.SCEP_WAIT_SECONDS * 1000,
      undefined,
      async () => (await this.runtime.producer.submit(job)).enrollment,
    );
    return { ...(await this.answerFrom(requestKey, enrollment)), policy };
  }

  private async answerFrom(requestKey: string, enrollment: Enrollment | undefined): Promise<Answer> {
    const outcome = outcomeForEnrollment(enrollment);
    let serial: string | undefined;
    if (outcome.status === 'SUCCESS') serial = certificateSerialNumber(outcome.certificates[0]!);
    await this.transactions.touch(requestKey, serial);
    return { outcome, ...(serial ? { certificateSerial: serial } : {}) };
  }

  private async poll(requestKey: string): Promise<Answer> {
    const tx = await this.transactions.get(requestKey);
    if (!tx) return failure(scep.FailInfo.badCertId, 'no pending request with this transactionID (unknown or expired)');
    const enrollment = await this.runtime.waitForResult(requestKey, Math.min(this.config.SCEP_WAIT_SECONDS, 2) * 1000);
    return this.answerFrom(requestKey, enrollment);
  }

  private async getCert(ref: scep.IssuerAndSerial): Promise<Answer> {
    const serial = Buffer.from(ref.serial)
      .toString('hex')
      .replace(/^(00)+(?=.)/, '');
    const tx = await this.transactions.findByCertificateSerial(serial);
    const enrollment = tx ? await this.runtime.enrollments.get('scep', tx.requestKey) : undefined;
    if (!enrollment?.certificate) return failure(scep.FailInfo.badCertId, 'no certificate with this issuer and serial number was issued here');
    const outcome = outcomeForEnrollment(enrollment);
    return { outcome };
  }

  private getCrl(): Answer {
    if (!this.crl)
      return failure(
        scep.FailInfo.badRequest,
        'GetCRL: no CRL is configured on this server (SCEP_CRL_FILE); use the CRL distribution point of the certificate',
      );
    return { outcome: { status: 'SUCCESS', certificates: [], crls: [this.crl] } };
  }

  /** RenewalReq: signed by a certificate our CA issued that is still valid (RFC 8894 §3.3.1.2). */
  private renewalSignerProblem(message: scep.PkiMessage): string | undefined {
    const info = message.signerCertificate.info;
    if (!info) return 'the renewal signer certificate does not parse';
    if (isSelfIssued(info)) return 'a RenewalReq must be signed with the certificate being renewed, not a self-signed one';
    const now = Date.now();
    if (info.notAfter.getTime() < now || info.notBefore.getTime() > now + 600_000) return 'the certificate being renewed is not valid now';
    const issuer = this.ra.current().chain[0];
    if (!issuer) return 'no CA chain to check the renewal against';
    try {
      verifyIssuedBy(info, issuer);
      return undefined;
    } catch {
      return 'the certificate being renewed was not issued by this CA';
    }
  }

  private bindingProblem(binding: { subject?: string; sans?: string[]; template?: string }, csr: CsrInfo, template: string): string | undefined {
    if (binding.subject !== undefined && binding.subject.replace(/\s*,\s*/g, ',').toLowerCase() !== csr.subject.replace(/\s*,\s*/g, ',').toLowerCase()) {
      return `the challenge is bound to subject ${binding.subject}`;
    }
    for (const san of binding.sans ?? []) {
      if (!csr.sans.some((s) => s.value.toLowerCase() === san.toLowerCase())) return `the challenge requires the SAN ${san}`;
    }
    if (binding.template !== undefined && binding.template.toLowerCase() !== template.toLowerCase())
      return `the challenge is bound to template ${binding.template}`;
    return undefined;
  }

  /** MS enrollment name/value pairs ValidityPeriod(Units) → ICPR request attributes, when the profile allows. */
  private validityAttributes(csr: CsrInfo, profile: ScepProfile): Record<string, string> | undefined {
    if (!profile.allowValidityPeriod) return undefined;
    const get = (name: string) => csr.nameValuePairs.find((p) => p.name.toLowerCase() === name.toLowerCase())?.value;
    const period = get('ValidityPeriod');
    const units = get('ValidityPeriodUnits');
    if (!period || !units || !/^(Days|Weeks|Months|Years|Hours)$/i.test(period) || !/^\d{1,5}$/.test(units)) return undefined;
    return { ValidityPeriod: period, ValidityPeriodUnits: units };
  }
}

/** A CRL file, DER or PEM. */
function readCrl(path: string): Uint8Array {
  const raw = readFileSync(path);
  return raw.subarray(0, 5).toString('latin1') === '-----' ? derFrom(raw.toString('latin1'), 'X509 CRL') : new Uint8Array(raw);
}
