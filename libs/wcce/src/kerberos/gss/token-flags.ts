/** RFC 4121 4.2.2 token flags. */
export const GssTokenFlags = {
  SENT_BY_ACCEPTOR: 0x01,
  SEALED: 0x02,
  ACCEPTOR_SUBKEY: 0x04,
} as const;

/** RFC 4121 4.2.6 token identifiers. */
export const GssTokenId = {
  MIC: 0x0404,
  WRAP: 0x0504,
} as const;

/** What a per-message token needs: the protection key and how the context was established. */
export interface GssMessageKeys {
  /** The key in force: acceptor subkey if the acceptor sent one, else initiator subkey / session key. */
  key: Buffer;
  etype: number;
  /** True when `key` is the acceptor's subkey (sets flag 0x04 on every token). */
  acceptorSubkey: boolean;
}
