import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../database.js';
import { PreparedQuery } from '../prepared.js';
import type { Schema } from '../schema.js';
import type { AcmeAccount } from './records.js';
import type { AcmeAccountsTable, AcmeTables } from './schema.js';

export interface NewAcmeAccount {
  id: string;
  jwk: Record<string, string>;
  jwkThumbprint: string;
  contact: string[];
  termsOfServiceAgreed: boolean;
  eabKid: string | null;
}

export type CreateAccountOutcome = { created: true; account: AcmeAccount } | { created: false; account: AcmeAccount };

/** ACME accounts: one per key (unique thumbprint), so concurrent newAccount calls with one key agree. */
export class AcmeAccountRepository {
  private readonly db: Kysely<Schema & AcmeTables>;

  constructor(
    database: Pick<StoreDatabase, 'db'>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = database.db.withTables<AcmeTables>();
  }

  /** Inserts unless an account holds the key already; returns the stored account either way. */
  async create(account: NewAcmeAccount): Promise<CreateAccountOutcome> {
    const now = this.now().toISOString();
    const inserted = await this.db
      .insertInto('acme_accounts')
      .values({
        id: account.id,
        status: 'valid',
        jwk: JSON.stringify(account.jwk),
        jwk_thumbprint: account.jwkThumbprint,
        contact: JSON.stringify(account.contact),
        tos_agreed: account.termsOfServiceAgreed ? 1 : 0,
        eab_kid: account.eabKid,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('jwk_thumbprint').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { created: true, account: toAccount(inserted) };
    const existing = await this.getByThumbprint(account.jwkThumbprint);
    if (!existing) throw new Error(`account with thumbprint ${account.jwkThumbprint} vanished between insert and read`);
    return { created: false, account: existing };
  }

  /** Read on every request signed by an account: compiled once. */
  private readonly byId = new PreparedQuery(1, (id: string) => this.db.selectFrom('acme_accounts').selectAll().where('id', '=', id));

  async get(id: string): Promise<AcmeAccount | undefined> {
    const row = await this.byId.first(this.db, id);
    return row && toAccount(row);
  }

  async getByThumbprint(thumbprint: string): Promise<AcmeAccount | undefined> {
    const row = await this.db.selectFrom('acme_accounts').selectAll().where('jwk_thumbprint', '=', thumbprint).executeTakeFirst();
    return row && toAccount(row);
  }

  async updateContact(id: string, contact: string[]): Promise<AcmeAccount | undefined> {
    const row = await this.db
      .updateTable('acme_accounts')
      .set({ contact: JSON.stringify(contact), updated_at: this.now().toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'valid')
      .returningAll()
      .executeTakeFirst();
    return row && toAccount(row);
  }

  async deactivate(id: string): Promise<AcmeAccount | undefined> {
    const row = await this.db
      .updateTable('acme_accounts')
      .set({ status: 'deactivated', updated_at: this.now().toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'valid')
      .returningAll()
      .executeTakeFirst();
    return row && toAccount(row);
  }

  /**
   * Replaces the key of an account still holding `oldThumbprint` (RFC 8555 §7.3.5). Returns
   * `conflict` when another account holds the new key (unique thumbprint), `stale` when the
   * account's key changed meanwhile.
   */
  async changeKey(
    id: string,
    oldThumbprint: string,
    jwk: Record<string, string>,
    thumbprint: string,
  ): Promise<{ outcome: 'changed'; account: AcmeAccount } | { outcome: 'conflict'; holder: AcmeAccount } | { outcome: 'stale' }> {
    const holder = await this.getByThumbprint(thumbprint);
    if (holder) return { outcome: 'conflict', holder };
    try {
      const row = await this.db
        .updateTable('acme_accounts')
        .set({ jwk: JSON.stringify(jwk), jwk_thumbprint: thumbprint, updated_at: this.now().toISOString() })
        .where('id', '=', id)
        .where('jwk_thumbprint', '=', oldThumbprint)
        .where('status', '=', 'valid')
        .returningAll()
        .executeTakeFirst();
      return row ? { outcome: 'changed', account: toAccount(row) } : { outcome: 'stale' };
    } catch (e) {
      // A concurrent key change to the same new key won the unique constraint.
      const raced = await this.getByThumbprint(thumbprint);
      if (raced) return { outcome: 'conflict', holder: raced };
      throw e;
    }
  }
}

function toAccount(row: AcmeAccountsTable): AcmeAccount {
  return {
    id: row.id,
    status: row.status,
    jwk: JSON.parse(row.jwk) as Record<string, string>,
    jwkThumbprint: row.jwk_thumbprint,
    contact: JSON.parse(row.contact) as string[],
    termsOfServiceAgreed: row.tos_agreed === 1,
    eabKid: row.eab_kid,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
