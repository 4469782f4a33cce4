import { isPermanent, type EnrollErrorCode, type EnrollJob } from '@enrollgate/contracts';
import type { FrontendRuntime } from '@enrollgate/enrollment';
import { certificatePem, parseCertificate } from '@enrollgate/pki';
import type { Logger } from '@enrollgate/platform';
import type { AcmeAccount, AcmeAuthorization, AcmeOrder, AcmeOrderRepository, Enrollment, NewAcmeAuthorization } from '@enrollgate/store';
import { newId, newToken } from '../acme/ids.js';
import { AcmeProblem, malformed, notFound, unauthorized } from '../acme/problems.js';
import { json, type AcmeReply } from '../acme/reply.js';
import type { AcmeUrls } from '../acme/urls.js';
import { authorizationView, challengeView, orderView } from '../acme/views.js';
import { parseCertId } from '../ari/cert-id.js';
import { accountOf, payloadObject, requirePostAsGet, type VerifiedRequest } from '../jose/request-verifier.js';
import { checkCsr } from '../policy/csr-check.js';
import type { AcmePolicy } from '../policy/acme-policy.js';
import type { RequestHeaders } from '@enrollgate/policy';
import type { ValidationQueue } from '../validation/validation.queue.js';
import { problemForEnrollment } from './enrollment-problem.js';
import { challengeTypesFor, parseIdentifiers } from './identifiers.js';

export interface OrderServiceOptions {
  orderLifetimeSeconds: number;
  authzLifetimeSeconds: number;
  challengeWaitMs: number;
  finalizeWaitMs: number;
  retryAfterSeconds: number;
  maxProcessingSeconds: number;
  onOrderFinal?: (status: 'valid' | 'invalid') => void;
}

type ProcessingOrder = AcmeOrder & { status: 'processing' };

/**
 * Orders, authorizations, challenges, finalize and certificate download (RFC 8555 §7.4–7.5).
 * Order state follows the enrollment: `processing` while it is queued, pending at the CA or
 * retried; `valid` with the certificate; `invalid` on a permanent denial or, for transient
 * failures, only after the configured maximum age. Every decision is re-derived from the store
 * on each request, so any replica answers any poll.
 */
export class OrderService {
  constructor(
    private readonly orders: AcmeOrderRepository,
    private readonly runtime: Pick<FrontendRuntime, 'producer' | 'enrollments' | 'waitForResult'>,
    private readonly validation: Pick<ValidationQueue, 'enqueueAndWait'>,
    private readonly policy: Pick<AcmePolicy, 'newOrder' | 'enrollment'>,
    private readonly urls: AcmeUrls,
    private readonly options: OrderServiceOptions,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async newOrder(request: VerifiedRequest): Promise<AcmeReply> {
    const account = accountOf(request);
    const payload = payloadObject(request);
    if (payload['notBefore'] !== undefined || payload['notAfter'] !== undefined) {
      throw malformed('notBefore and notAfter are not supported: the AD CS template decides the validity period');
    }
    const profile = payload['profile'];
    if (profile !== undefined && typeof profile !== 'string') throw malformed('profile must be a string');
    const identifiers = parseIdentifiers(payload['identifiers']);
    // allow-lists, identifier limit, wildcards, the profile (libs/policy): the order records the profile it settled on
    const chosenProfile = this.policy.newOrder(
      account,
      identifiers.map((i) => i.identifier),
      profile,
    );
    const replaces = await this.checkReplaces(account, payload['replaces']);
    const now = this.now();
    const nowIso = now.toISOString();
    const expires = new Date(now.getTime() + this.options.orderLifetimeSeconds * 1000).toISOString();
    const authorizations: (string | NewAcmeAuthorization)[] = [];
    for (const id of identifiers) {
      // Reuse a valid authorization of this account (Boulder, Pebble): no second validation.
      const reusable = await this.orders.findReusableAuthorization(account.id, { type: id.identifier.type, value: id.authzValue }, id.wildcard, nowIso);
      authorizations.push(
        reusable ?? {
          id: newId(),
          identifier: { type: id.identifier.type, value: id.authzValue },
          wildcard: id.wildcard,
          expires: new Date(now.getTime() + this.options.authzLifetimeSeconds * 1000).toISOString(),
          challenges: challengeTypesFor(id).map((type) => ({ id: newId(), type, token: newToken() })),
        },
      );
    }
    const order = await this.orders.create({
      id: newId(),
      accountId: account.id,
      identifiers: identifiers.map((i) => i.identifier),
      profile: chosenProfile,
      expires,
      replaces,
      authorizations,
    });
    // A new authorization is pending, so the order is too: only an order of reused ones can be ready already.
    const current = authorizations.some((a) => typeof a !== 'string') ? order : await this.refresh(order);
    return json(201, orderView(this.urls, current), { location: this.urls.order(order.id) });
  }

  async getOrder(request: VerifiedRequest, id: string): Promise<AcmeReply> {
    requirePostAsGet(request);
    const order = await this.refresh(await this.ownOrder(request, id));
    return this.orderReply(order);
  }

  async listOrders(request: VerifiedRequest, accountId: string): Promise<AcmeReply> {
    requirePostAsGet(request);
    const account = accountOf(request);
    if (account.id !== accountId) throw unauthorized('the request is not signed by this account');
    const ids = await this.orders.listOpenOrderIds(account.id);
    return json(200, { orders: ids.map((id) => this.urls.order(id)) });
  }

  async getAuthorization(request: VerifiedRequest, id: string): Promise<AcmeReply> {
    const authz = await this.ownAuthorization(request, id);
    if (request.jws.payloadB64 === '') return this.authzReply(await this.expireIfDue(authz));
    // §7.5.2: the client may deactivate a pending or valid authorization.
    const payload = payloadObject(request);
    if (payload['status'] !== 'deactivated' || Object.keys(payload).length !== 1) throw malformed('the only authorization update is {"status": "deactivated"}');
    if (!(await this.orders.transitionAuthorization(id, ['pending', 'valid'], 'deactivated'))) {
      throw malformed(`authorization is ${authz.status} and cannot be deactivated`);
    }
    return this.authzReply((await this.orders.getAuthorization(id)) as AcmeAuthorization);
  }

  async challenge(request: VerifiedRequest, id: string): Promise<AcmeReply> {
    const account = accountOf(request);
    // §7.5.1: the client's response is an empty JSON object; anything else is read-only here.
    const posted = request.jws.payloadB64 !== '';
    const p = request.payload;
    const responds = posted && typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0;
    // A response moves the challenge to processing in the same statement that reads it.
    const found = responds ? await this.orders.respondToChallenge(id, account.id) : undefined;
    const authz = found ? found.authorization : responds ? undefined : await this.orders.getAuthorizationOfChallenge(id);
    let challenge = authz?.challenges.find((c) => c.id === id);
    if (!challenge || !authz) throw notFound('challenge');
    if (authz.accountId !== account.id) throw unauthorized('the challenge belongs to another account');
    if (posted && !responds) {
      payloadObject(request);
      throw malformed('a challenge response must be the empty object {}');
    }
    if (found?.started) {
      const target = {
        identifierType: authz.identifier.type,
        identifierValue: authz.identifier.value,
        type: challenge.type,
        token: challenge.token,
        thumbprint: account.jwkThumbprint,
      };
      challenge = (await this.validation.enqueueAndWait(id, this.options.challengeWaitMs, undefined, target)) ?? challenge;
    }
    const headers: Record<string, string> = challenge.status === 'processing' ? { 'retry-after': String(this.options.retryAfterSeconds) } : {};
    return json(200, challengeView(this.urls, challenge), headers, [{ url: this.urls.authz(authz.id), rel: 'up' }]);
  }

  /** `headers`: this finalize request's HTTP headers (a `template=` in header_info_list's header, as acme2certifier reads it). */
  async finalize(request: VerifiedRequest, id: string, remoteAddress: string | undefined, headers: RequestHeaders = {}): Promise<AcmeReply> {
    const account = accountOf(request);
    const stored = await this.ownOrder(request, id);
    // A pending order whose authorizations are all valid is ready: it goes to processing in one
    // compare-and-set from pending or ready below, instead of a write to ready first.
    const order = await this.refresh(stored, undefined, true);
    const payload = payloadObject(request);
    if (order.status !== 'ready') throw new AcmeProblem('orderNotReady', `order is ${order.status}, not ready`);
    if (typeof payload['csr'] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload['csr'])) throw malformed('csr must be base64url DER');
    const der = Buffer.from(payload['csr'], 'base64url');
    const csr = checkCsr({ der, identifiers: order.identifiers, accountSpki: request.key.spki });
    // Decided once and kept on the order: a resubmission after a transient failure enrolls with the same template.
    const enrollment = this.policy.enrollment(order, account, csr, headers);
    const processing = await this.orders.transitionOrder(id, stored.status === 'pending' ? ['pending', 'ready'] : ['ready'], {
      status: 'processing',
      csr: der.toString('base64'),
      enrollmentKey: id,
      processingSince: this.now().toISOString(),
      enrollment,
    });
    if (!processing) throw new AcmeProblem('orderNotReady', 'order was finalized by another request');
    // Submitted once the wait listens; the wait starts from the enrollment the submission stored.
    const result = await this.runtime.waitForResult(id, this.options.finalizeWaitMs, undefined, () =>
      this.submit(processing as ProcessingOrder, account, remoteAddress).catch((e: unknown) => {
        // The order stays processing; the next poll resubmits (the submission is idempotent).
        this.logger.warn({ err: e, orderId: id }, 'enrollment submission failed; will retry on the next poll');
        return undefined;
      }),
    );
    return this.orderReply(await this.refresh(processing, result));
  }

  async certificate(request: VerifiedRequest, id: string): Promise<AcmeReply> {
    requirePostAsGet(request);
    const account = accountOf(request);
    const found = await this.orders.getOrderWithCertificate(id);
    if (!found) throw notFound('order');
    if (found.order.accountId !== account.id) throw unauthorized('the order belongs to another account');
    if (found.order.status !== 'valid' || !found.certificate) throw notFound('certificate');
    const pems = [found.certificate.leaf, ...found.certificate.chain].map((b64) => certificatePem(new Uint8Array(Buffer.from(b64, 'base64'))));
    return { status: 200, body: pems.join(''), contentType: 'application/pem-certificate-chain' };
  }

  /**
   * Brings an order up to date: pending → ready|invalid from its authorizations, expiry, and
   * processing → valid|invalid from its enrollment. Compare-and-set, so concurrent polls agree.
   * With `deferReady`, pending → ready is reported but not written (finalize writes processing).
   */
  async refresh(order: AcmeOrder, knownEnrollment?: Enrollment, deferReady = false): Promise<AcmeOrder> {
    const nowMs = this.now().getTime();
    if ((order.status === 'pending' || order.status === 'ready') && Date.parse(order.expires) <= nowMs) {
      return this.settle(order, ['pending', 'ready'], 'invalid', new AcmeProblem('malformed', 'order expired before it was finalized'));
    }
    if (order.status === 'pending') {
      const authzs = await this.orders.getAuthorizations(order.authorizationIds);
      const failedAuthz = authzs.find((a) => a.status !== 'valid' && a.status !== 'pending');
      if (failedAuthz) {
        const cause = failedAuthz.challenges.find((c) => c.error)?.error;
        const problem = new AcmeProblem(
          'unauthorized',
          `authorization for ${failedAuthz.identifier.value} is ${failedAuthz.status}${cause ? `: ${cause.detail}` : ''}`,
        );
        return this.settle(order, ['pending'], 'invalid', problem);
      }
      if (authzs.length === order.authorizationIds.length && authzs.every((a) => a.status === 'valid' && Date.parse(a.expires) > nowMs)) {
        // `deferReady`: the caller (finalize) writes the next status itself, from pending or ready.
        if (deferReady) return { ...order, status: 'ready' };
        return (await this.orders.transitionOrder(order.id, ['pending'], { status: 'ready' })) ?? (await this.reload(order.id));
      }
      return order;
    }
    if (order.status === 'processing') return this.refreshProcessing(order as ProcessingOrder, knownEnrollment);
    return order;
  }

  private async refreshProcessing(order: ProcessingOrder, known: Enrollment | undefined): Promise<AcmeOrder> {
    const key = order.enrollmentKey ?? order.id;
    const enrollment = known?.requestKey === key ? known : await this.runtime.enrollments.get('acme', key);
    const ageMs = this.now().getTime() - Date.parse(order.processingSince ?? order.updatedAt);
    const tooOld = ageMs > this.options.maxProcessingSeconds * 1000;
    if (!enrollment) {
      // Finalize crashed between the order update and the submission: submit now (idempotent).
      await this.submit(order, undefined, undefined);
      return order;
    }
    switch (enrollment.status) {
      case 'queued':
        if (tooOld)
          return this.settle(
            order,
            ['processing'],
            'invalid',
            new AcmeProblem('serverInternal', `no answer from the CA within ${this.options.maxProcessingSeconds} s`),
            key,
          );
        return order;
      case 'pending':
        // Held at the CA (manager approval): the worker retrieves it; its own maximum age applies.
        return order;
      case 'issued':
        return this.settleIssued(order, enrollment, key);
      case 'denied':
        return this.settle(
          order,
          ['processing'],
          'invalid',
          problemForEnrollment(enrollment.error ?? { code: 'INTERNAL', message: 'denied without a reason' }),
          key,
        );
      case 'failed': {
        const error = enrollment.error ?? { code: 'INTERNAL', message: 'failed without a reason' };
        if (isPermanent(error.code as EnrollErrorCode)) return this.settle(order, ['processing'], 'invalid', problemForEnrollment(error), key);
        if (tooOld)
          return this.settle(
            order,
            ['processing'],
            'invalid',
            new AcmeProblem('serverInternal', `enrollment kept failing for ${this.options.maxProcessingSeconds} s; last error: ${error.message}`),
            key,
          );
        // Transient: enroll again under a new request key; the order stays processing.
        const resubmits = order.resubmits + 1;
        const next = await this.orders.transitionOrder(order.id, ['processing'], { enrollmentKey: `${order.id}.r${resubmits}`, resubmits }, key);
        if (next) {
          this.logger.warn({ orderId: order.id, error: error.message, resubmits }, 'enrollment failed transiently; submitting again');
          await this.submit(next as ProcessingOrder, undefined, undefined).catch((e: unknown) =>
            this.logger.warn({ err: e, orderId: order.id }, 'resubmission failed; will retry on the next poll'),
          );
          return next;
        }
        return this.reload(order.id);
      }
    }
  }

  private async settleIssued(order: ProcessingOrder, enrollment: Enrollment, key: string): Promise<AcmeOrder> {
    let certificate: { serial: string; aki: string | null; notBefore: string; notAfter: string } | undefined;
    try {
      const leaf = parseCertificate(new Uint8Array(Buffer.from(enrollment.certificate ?? '', 'base64')));
      certificate = {
        serial: normaliseHexSerial(leaf.serialNumber),
        aki: leaf.authorityKeyId?.toLowerCase() ?? null,
        notBefore: leaf.notBefore.toISOString(),
        notAfter: leaf.notAfter.toISOString(),
      };
    } catch (e) {
      this.logger.error({ err: e, orderId: order.id }, 'issued certificate does not parse');
      return this.settle(order, ['processing'], 'invalid', new AcmeProblem('serverInternal', 'the CA returned a certificate that does not parse'), key);
    }
    const valid = await this.orders.transitionOrder(order.id, ['processing'], { status: 'valid', certificate }, key);
    if (valid) this.options.onOrderFinal?.('valid');
    return valid ?? this.reload(order.id);
  }

  private async settle(order: AcmeOrder, from: AcmeOrder['status'][], status: 'invalid', problem: AcmeProblem, enrollmentKey?: string): Promise<AcmeOrder> {
    const updated = await this.orders.transitionOrder(order.id, from, { status, error: problem.toStored() }, enrollmentKey);
    if (updated) this.options.onOrderFinal?.(status);
    return updated ?? this.reload(order.id);
  }

  /** Returns the enrollment as stored by the submission. */
  private async submit(order: ProcessingOrder, account: AcmeAccount | undefined, remoteAddress: string | undefined): Promise<Enrollment> {
    if (!order.csr) throw new Error(`processing order ${order.id} has no CSR`);
    if (!order.enrollment) throw new Error(`processing order ${order.id} has no enrollment parameters`);
    const { template, caPool, caName, attributes } = order.enrollment;
    const job: EnrollJob = {
      requestKey: order.enrollmentKey ?? order.id,
      protocol: 'acme',
      csr: order.csr,
      template,
      ...(caPool !== null ? { caPool } : {}),
      ...(caName !== null ? { caName } : {}),
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
      requester: { protocol: 'acme', subject: this.urls.account(account?.id ?? order.accountId), ...(remoteAddress ? { remoteAddress } : {}) },
      submittedAt: order.processingSince ?? this.now().toISOString(),
    };
    return (await this.runtime.producer.submit(job)).enrollment;
  }

  private async reload(id: string): Promise<AcmeOrder> {
    const order = await this.orders.getOrder(id);
    if (!order) throw notFound('order');
    return order;
  }

  private async ownOrder(request: VerifiedRequest, id: string): Promise<AcmeOrder> {
    const account = accountOf(request);
    const order = await this.orders.getOrder(id);
    if (!order) throw notFound('order');
    if (order.accountId !== account.id) throw unauthorized('the order belongs to another account');
    return order;
  }

  private async ownAuthorization(request: VerifiedRequest, id: string): Promise<AcmeAuthorization> {
    const account = accountOf(request);
    const authz = await this.orders.getAuthorization(id);
    if (!authz) throw notFound('authorization');
    if (authz.accountId !== account.id) throw unauthorized('the authorization belongs to another account');
    return authz;
  }

  private async expireIfDue(authz: AcmeAuthorization): Promise<AcmeAuthorization> {
    if ((authz.status === 'pending' || authz.status === 'valid') && Date.parse(authz.expires) <= this.now().getTime()) {
      await this.orders.transitionAuthorization(authz.id, [authz.status], 'expired');
      return (await this.orders.getAuthorization(authz.id)) ?? authz;
    }
    return authz;
  }

  private orderReply(order: AcmeOrder): AcmeReply {
    const headers: Record<string, string> = { location: this.urls.order(order.id) };
    // lego sleeps 5 s without Retry-After; 1 s keeps clients fast while work is under way.
    if (order.status === 'processing' || order.status === 'pending') headers['retry-after'] = String(this.options.retryAfterSeconds);
    return json(200, orderView(this.urls, order), headers);
  }

  private authzReply(authz: AcmeAuthorization): AcmeReply {
    const busy = authz.status === 'pending' && authz.challenges.some((c) => c.status === 'processing');
    return json(200, authorizationView(this.urls, authz), busy ? { 'retry-after': String(this.options.retryAfterSeconds) } : {});
  }

  /** RFC 9773 §5: `replaces` names a certificate of this account not yet replaced. */
  private async checkReplaces(account: AcmeAccount, value: unknown): Promise<string | null> {
    if (value === undefined) return null;
    if (typeof value !== 'string') throw malformed('replaces must be a certificate identifier string');
    const certId = parseCertId(value);
    const replaced = await this.orders.findByCertificateSerial(certId.serial);
    if (!replaced || replaced.accountId !== account.id) throw malformed(`replaces names no certificate of this account`);
    if ((await this.orders.countReplacing(value)) > 0)
      throw new AcmeProblem('alreadyReplaced', `certificate ${value} is already being replaced by another order`);
    return value;
  }
}

/** Minimal lower-case hex of a serial's magnitude (no sign octet, no leading zero octets). */
export function normaliseHexSerial(hex: string): string {
  let h = hex.toLowerCase().replace(/[^0-9a-f]/g, '');
  while (h.length > 2 && h.startsWith('00')) h = h.slice(2);
  return h.length % 2 ? `0${h}` : h;
}
