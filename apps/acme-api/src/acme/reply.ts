/** A use case's answer; the controller adds Replay-Nonce and the directory Link (RFC 8555 §6.5, §7.1). */
export interface AcmeReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Default application/json. */
  contentType?: string;
  /** `Link: <url>;rel="…"` entries besides the directory index. */
  links?: { url: string; rel: string }[];
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}, links?: AcmeReply['links']): AcmeReply => ({
  status,
  body,
  headers,
  ...(links ? { links } : {}),
});
