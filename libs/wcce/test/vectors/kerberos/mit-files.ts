/**
 * A keytab written by MIT ktutil 1.20.1 (`addent -password -p alice@TEST.LOCAL -k 3 -e
 * aes256-cts-hmac-sha1-96` and `-e aes128-cts-hmac-sha1-96`, password `Passw0rd!`, then `wkt`),
 * with the keys `klist -k -e -K` printed. Independent of our code: the keys are MIT's string-to-key
 * with the default salt TEST.LOCALalice.
 */
export const mitKeytab = {
  password: 'Passw0rd!',
  salt: 'TEST.LOCALalice',
  file:
    '0502000000460001000a544553542e4c4f43414c0005616c696365000000016b02723603001200207f7504d39995ce5a' +
    'd5ed64189f4d91e9b7cf3bcf636fbeb3d428d29839e590c300000003000000360001000a544553542e4c4f43414c0005' +
    '616c696365000000016b0272360300110010ee56f940a2467be74770a9326462aa8800000003',
  aes256: '7f7504d39995ce5ad5ed64189f4d91e9b7cf3bcf636fbeb3d428d29839e590c3',
  aes128: 'ee56f940a2467be74770a9326462aa88',
  kvno: 3,
} as const;
