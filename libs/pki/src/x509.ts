/**
 * The one place that loads @peculiar/x509. Version 2.x resolves its services through tsyringe,
 * which throws at load time unless a Reflect metadata polyfill is installed first
 * (research/npm-audit.md §4), and it must be told which WebCrypto to use.
 * ESM evaluates imports in order, so importing this module first is enough.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// The DOM `Crypto` type is not in this workspace's libs; Node's webcrypto is what x509 expects at run time.
(x509.cryptoProvider as unknown as { set(value: unknown): unknown }).set(webcrypto);

export { x509 };
export const subtle = webcrypto.subtle;
/** WebCrypto types from node:crypto (the workspace compiles without the DOM lib). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
