export { NdrEncoder } from './encoder.js';
export type { NdrEncoderOptions, NdrPointerKind } from './encoder.js';
export { NdrDecoder } from './decoder.js';
export type { NdrDecoderOptions } from './decoder.js';
