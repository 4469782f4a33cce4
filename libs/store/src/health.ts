import type { StoreDatabase } from './database.js';
import { errorMessage } from './error-message.js';

/**
 * A readiness check for the store (platform's HealthRegistry takes `() => Promise<void>` and
 * applies its own timeout). Readiness only: a database outage must never fail liveness.
 */
export function databaseHealthCheck(database: Pick<StoreDatabase, 'ping' | 'dialect'>): () => Promise<void> {
  return async () => {
    try {
      await database.ping();
    } catch (e) {
      throw new Error(`${database.dialect} database not answering: ${errorMessage(e)}`, { cause: e });
    }
  };
}
