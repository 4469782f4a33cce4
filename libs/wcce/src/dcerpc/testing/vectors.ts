import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Loads a JSON test vector from libs/wcce/test/vectors (copied from the research notes). */
export function loadVector<T>(relativePath: string): T {
  const url = new URL(`../../../test/vectors/${relativePath}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as T;
}

export interface AppendixA {
  bind: string;
  bindAck: string;
  auth3: string;
  requestStub: string;
  request: string;
  responseStub: string;
  response: string;
  scenario: Record<string, string | number>;
}

export const hexBuf = (h: string): Buffer => Buffer.from(h, 'hex');
