import { inspect } from 'node:util';

/**
 * A configuration secret (password, HMAC key, private key). Its value is only reachable through
 * reveal(); JSON, string conversion and util.inspect all print "[redacted]", so a secret cannot
 * reach a log line by accident, whatever logs the configuration object.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
