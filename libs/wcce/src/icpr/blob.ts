import type { NdrDecoder } from '../ndr/decoder.js';
import type { NdrEncoder } from '../ndr/encoder.js';

/**
 * CERTTRANSBLOB (MS-WCCE 2.2.2.2): `{ ULONG cb; [size_is(cb), unique] BYTE *pb; }`. The pointee
 * is an embedded pointer, so its conformant array follows the struct (C706 14.3.12.3).
 */
export interface CertTransBlob {
  cb: number;
  pb: Buffer | null;
}

export function writeCertTransBlob(enc: NdrEncoder, data: Buffer | null, referent?: number): void {
  enc.struct(() => {
    enc.u32(data?.length ?? 0);
    enc.pointer('unique', data, (b) => enc.conformantBytes(b), referent === undefined ? {} : { referent });
  });
}

export function readCertTransBlob(dec: NdrDecoder, field: string): CertTransBlob {
  return dec.struct(() => {
    const cb = dec.u32(`${field}.cb`);
    const blob: CertTransBlob = { cb, pb: null };
    dec.pointer(
      'unique',
      `${field}.pb`,
      () => {
        const at = dec.offset;
        const data = dec.conformantBytes(`${field}.pb`);
        // size_is(cb): the conformance must be cb itself.
        if (data.length !== cb) dec.fail(`${field}.pb.maxCount`, `max_count ${data.length} differs from cb ${cb}`, at);
        return data;
      },
      (v) => {
        blob.pb = v;
      },
    );
    return blob;
  });
}
