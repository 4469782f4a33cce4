import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../database.js';
import type { RaKeyCipher } from './ra-key-cipher.js';
import type { ScepRaIdentitiesTable, ScepSchema } from './schema.js';

export type RaIdentityUsage = ScepRaIdentitiesTable['usage'];

/** One RA enrollment: `pending` while the CA has not issued it, then `issued` with its certificate. */
export interface StoredRaIdentity {
  id: string;
  usage: RaIdentityUsage;
  generation: number;
  status: 'pending' | 'issued';
  requestKey: string;
  template: string;
  /** DER PKCS#10 */
  csr: Buffer;
  /** PKCS#8 PEM, decrypted */
  privateKeyPem: string;
  certificatePem: string | null;
  serial: string | null;
  chainPem: string | null;
  notAfter: string | null;
  createdAt: string;
  issuedAt: string | null;
}

export interface RaClaim {
  usage: RaIdentityUsage;
  generation: number;
  requestKey: string;
  template: string;
  csr: Uint8Array;
  privateKeyPem: string;
}

/**
 * The SCEP RA identities every scep-api replica shares (SCEP_RA_STORE=database). Private keys are
 * sealed with `cipher` before they reach the database and opened when read (a wrong key throws
 * RaKeyDecryptionError). Enrolling the next generation of a usage starts with claim(): the UNIQUE
 * (usage, generation) constraint lets exactly one replica insert it, so one CA request per renewal
 * whatever the number of replicas; completing it (markIssued) is a compare-and-set on the pending
 * row, so every replica that waited on the same CA request may try and only one write lands.
 */
export class ScepRaIdentityRepository {
  private readonly db: Kysely<ScepSchema>;

  constructor(
    database: Pick<StoreDatabase, 'db'>,
    private readonly cipher: RaKeyCipher,
    private readonly options: { now?: () => Date } = {},
  ) {
    this.db = database.db.withTables<ScepSchema>() as unknown as Kysely<ScepSchema>;
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private toIdentity(row: ScepRaIdentitiesTable): StoredRaIdentity {
    return {
      id: row.id,
      usage: row.usage,
      generation: Number(row.generation),
      status: row.status,
      requestKey: row.request_key,
      template: row.template,
      csr: Buffer.from(row.csr, 'base64'),
      privateKeyPem: this.cipher.open(row.private_key, aadOf(row.usage, Number(row.generation))),
      certificatePem: row.certificate,
      serial: row.serial,
      chainPem: row.chain,
      notAfter: row.not_after,
      createdAt: row.created_at,
      issuedAt: row.issued_at,
    };
  }

  /** The newest row of a usage, pending or issued. */
  async latest(usage: RaIdentityUsage): Promise<StoredRaIdentity | undefined> {
    const row = await this.db.selectFrom('scep_ra_identities').selectAll().where('usage', '=', usage).orderBy('generation', 'desc').limit(1).executeTakeFirst();
    return row && this.toIdentity(row);
  }

  /** Issued identities of a usage, newest first. */
  async issued(usage: RaIdentityUsage, limit: number): Promise<StoredRaIdentity[]> {
    const rows = await this.db
      .selectFrom('scep_ra_identities')
      .selectAll()
      .where('usage', '=', usage)
      .where('status', '=', 'issued')
      .orderBy('generation', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => this.toIdentity(r));
  }

  /** Inserts the pending row of `generation`; undefined when another replica claimed it first. */
  async claim(input: RaClaim): Promise<StoredRaIdentity | undefined> {
    const row = await this.db
      .insertInto('scep_ra_identities')
      .values({
        id: randomUUID(),
        usage: input.usage,
        generation: input.generation,
        status: 'pending',
        request_key: input.requestKey,
        template: input.template,
        csr: Buffer.from(input.csr).toString('base64'),
        private_key: this.cipher.seal(input.privateKeyPem, aadOf(input.usage, input.generation)),
        certificate: null,
        serial: null,
        chain: null,
        not_after: null,
        created_at: this.now(),
        issued_at: null,
      })
      .onConflict((oc) => oc.columns(['usage', 'generation']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && this.toIdentity(row);
  }

  /** Completes a pending row with what the CA issued; false when it was no longer pending (done by another replica). */
  async markIssued(id: string, issued: { certificatePem: string; serial: string; chainPem: string; notAfter: Date }): Promise<boolean> {
    const r = await this.db
      .updateTable('scep_ra_identities')
      .set({
        status: 'issued',
        certificate: issued.certificatePem,
        serial: issued.serial,
        chain: issued.chainPem,
        not_after: issued.notAfter.toISOString(),
        issued_at: this.now(),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Drops a pending row the CA refused, so its generation can be claimed again with a new key. */
  async discardPending(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('scep_ra_identities').where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}

function aadOf(usage: RaIdentityUsage, generation: number): string {
  return `scep_ra_identities/${usage}/${generation}`;
}
