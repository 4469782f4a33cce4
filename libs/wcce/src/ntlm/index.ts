export { NtlmProvider, type NtlmProviderOptions } from './provider.js';
export {
  NtlmAcceptorContext,
  NtlmInitiatorContext,
  type NtlmAcceptorOptions,
  type NtlmAuthenticateStyle,
  type NtlmInitiatorOptions,
  type NtlmRandomSource,
  type NtlmUserLookup,
} from './context.js';
export { NtlmFlags, IMPACKET_NEGOTIATE_FLAGS, WINDOWS_NEGOTIATE_FLAGS } from './flags.js';
export { AvFlags, AvId, AvPairs, type AvPair } from './av-pairs.js';
export {
  DEFAULT_NTLM_VERSION,
  NtlmMessageType,
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeChallenge,
  encodeNegotiate,
  ntlmMessageType,
  type AuthenticateMessage,
  type ChallengeMessage,
  type NegotiateMessage,
  type NtlmVersion,
} from './messages.js';
export { ntHash, ntowfv2, computeNtlmv2Response, computeMic } from './ntlmv2.js';
export { deriveSessionKeys, type NtlmSessionKeys } from './keys.js';
export { NtlmSealing, NTLM_SIGNATURE_LENGTH } from './sealing.js';
