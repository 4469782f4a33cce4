import type { AcmeAccount, AcmeAccountRepository } from '@enrollgate/store';
import { newId } from '../acme/ids.js';
import { AcmeProblem, malformed, unauthorized } from '../acme/problems.js';
import { json, type AcmeReply } from '../acme/reply.js';
import type { AcmeUrls } from '../acme/urls.js';
import { accountView } from '../acme/views.js';
import { importAccountKey } from '../jose/jwk.js';
import { decodePayload, parseFlattenedJws, verifyJwsSignature } from '../jose/jws.js';
import { accountOf, payloadObject, type VerifiedRequest } from '../jose/request-verifier.js';
import { parseContacts } from './contact.js';
import type { EabKeyLookup } from '../policy/acme-policy.js';
import { verifyExternalAccountBinding } from './eab.js';

export interface AccountServiceOptions {
  eabRequired: boolean;
  /** live: the policy's EAB key file reloads by itself */
  eabKeys: EabKeyLookup;
  termsOfService: string | undefined;
  minRsaBits: number;
  /** After each committed change to an account (contact, status, key): other replicas' cached copies go stale. */
  onAccountChanged?: (id: string) => Promise<void>;
}

/** newAccount, account update/deactivation and key roll-over (RFC 8555 §7.3). */
export class AccountService {
  constructor(
    private readonly accounts: AcmeAccountRepository,
    private readonly urls: AcmeUrls,
    private readonly options: AccountServiceOptions,
  ) {}

  async newAccount(request: VerifiedRequest): Promise<AcmeReply> {
    const payload = payloadObject(request);
    const existing = await this.accounts.getByThumbprint(request.key.thumbprint);
    if (existing) {
      // §7.3.1: the existing account, 200, whatever else the request says.
      if (existing.status !== 'valid') throw unauthorized(`account is ${existing.status}`);
      return this.accountReply(200, existing);
    }
    if (payload['onlyReturnExisting'] === true) throw new AcmeProblem('accountDoesNotExist', 'no account exists with this key');
    const contact = parseContacts(payload['contact']);
    const agreed = payload['termsOfServiceAgreed'] === true;
    if (this.options.termsOfService && !agreed)
      throw malformed(`you must agree to the terms of service at ${this.options.termsOfService} (termsOfServiceAgreed: true)`);
    let eabKid: string | null = null;
    const eab = payload['externalAccountBinding'];
    if (eab !== undefined) eabKid = verifyExternalAccountBinding(eab, request.key.thumbprint, request.url, this.options.eabKeys);
    else if (this.options.eabRequired)
      throw new AcmeProblem('externalAccountRequired', 'this server requires an external account binding (externalAccountBinding)');
    const { created, account } = await this.accounts.create({
      id: newId(),
      jwk: request.key.jwk,
      jwkThumbprint: request.key.thumbprint,
      contact,
      termsOfServiceAgreed: agreed,
      eabKid,
    });
    return this.accountReply(created ? 201 : 200, account);
  }

  /** POST to the account URL: POST-as-GET, contact update or deactivation (§7.3.2, §7.3.6). */
  async update(request: VerifiedRequest, id: string): Promise<AcmeReply> {
    const signer = accountOf(request);
    if (signer.id !== id) throw unauthorized('the request is not signed by this account');
    if (request.jws.payloadB64 === '') return this.accountReply(200, signer);
    const payload = payloadObject(request);
    let account: AcmeAccount | undefined = signer;
    let changed = false;
    if (payload['status'] !== undefined && payload['status'] !== 'deactivated') throw malformed('the only status a client may set is "deactivated"');
    if (payload['contact'] !== undefined) {
      account = await this.accounts.updateContact(id, parseContacts(payload['contact']));
      if (account) await this.options.onAccountChanged?.(id);
      changed = true;
    }
    if (payload['status'] !== undefined) {
      account = await this.accounts.deactivate(id);
      if (account) await this.options.onAccountChanged?.(id);
      changed = true;
    }
    if (!changed) throw malformed('empty account update: use POST-as-GET to fetch the account');
    if (!account) throw unauthorized('account is not valid any more');
    return this.accountReply(200, account);
  }

  /** Key roll-over (§7.3.5): the inner JWS, signed by the new key, vouches for the change. */
  async keyChange(request: VerifiedRequest): Promise<AcmeReply> {
    const account = accountOf(request);
    const inner = parseFlattenedJws(request.payload, 'inner JWS');
    if (inner.header.kid !== undefined) throw malformed('inner JWS must carry the new key as jwk, not a kid');
    if (inner.header.jwk === undefined) throw malformed('inner JWS must carry the new key as jwk');
    if (inner.header.nonce !== undefined) throw malformed('inner JWS must not carry a nonce');
    if (inner.header.url !== request.url) throw malformed('inner JWS url must equal the outer JWS url');
    const newKey = importAccountKey(inner.header.jwk, this.options.minRsaBits);
    verifyJwsSignature(inner, newKey);
    const body = decodePayload(inner);
    if (typeof body !== 'object' || body === null) throw malformed('inner JWS payload must be {"account", "oldKey"}');
    const { account: accountUrl, oldKey } = body as Record<string, unknown>;
    if (accountUrl !== this.urls.account(account.id)) throw unauthorized('inner JWS "account" is not the signing account');
    const old = importAccountKey(oldKey, 0);
    if (old.thumbprint !== account.jwkThumbprint) throw unauthorized('inner JWS "oldKey" is not the account key');
    if (newKey.thumbprint === account.jwkThumbprint) throw malformed('the new key is the current key');
    const result = await this.accounts.changeKey(account.id, account.jwkThumbprint, newKey.jwk, newKey.thumbprint);
    switch (result.outcome) {
      case 'changed':
        await this.options.onAccountChanged?.(account.id);
        return this.accountReply(200, result.account);
      case 'conflict':
        throw new AcmeProblem('malformed', 'the new key is already in use by another account', {
          status: 409,
          headers: { location: this.urls.account(result.holder.id) },
        });
      case 'stale':
        throw unauthorized('the account key changed meanwhile');
    }
  }

  private accountReply(status: number, account: AcmeAccount): AcmeReply {
    return json(status, accountView(this.urls, account), { location: this.urls.account(account.id) });
  }
}
