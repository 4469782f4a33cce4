/**
 * Published Kerberos crypto vectors, copied as data (never recomputed by our code):
 *  - RFC 3961 A.1 n-fold,
 *  - RFC 3962 Appendix B string-to-key (PBKDF2 + DK) and AES-CBC-CTS sample encryptions
 *    (key "chicken teriyaki", IV zero),
 *  - MIT krb5 lib/crypto/crypto_tests t_derive.c (Kc/Ke/Ki), t_decrypt.c (Kerberos encryption with
 *    usage, as known-answer decryptions) and t_cksums.c (keyed checksums).
 * Hex strings; spaces are ignored by `hex()`.
 */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

export const nfoldVectors: { bits: number; input: string; output: string }[] = [
  { bits: 64, input: '012345', output: 'be072631276b1955' },
  { bits: 56, input: 'password', output: '78a07b6caf85fa' },
  { bits: 64, input: 'Rough Consensus, and Running Code', output: 'bb6ed30870b7f0e0' },
  { bits: 168, input: 'password', output: '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e' },
  { bits: 192, input: 'MASSACHVSETTS INSTITVTE OF TECHNOLOGY', output: 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b' },
  { bits: 168, input: 'Q', output: '518a54a215a8452a518a54a215a8452a518a54a215' },
  { bits: 168, input: 'ba', output: 'fb25d531ae8974499f52fd92ea9857c4ba24cf297e' },
  { bits: 64, input: 'kerberos', output: '6b65726265726f73' },
  { bits: 128, input: 'kerberos', output: '6b65726265726f737b9b5b2b93132b93' },
  { bits: 168, input: 'kerberos', output: '8372c236344e5f1550cd0747e15d62ca7a5a3bcea4' },
  { bits: 256, input: 'kerberos', output: '6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4' },
];

/** RFC 3962 Appendix B: password, salt (hex when `saltHex`), iterations, AES128 key, AES256 key. */
export const stringToKeyVectors: { password: string; salt: string; saltHex?: boolean; iterations: number; aes128: string; aes256: string }[] = [
  {
    password: 'password',
    salt: 'ATHENA.MIT.EDUraeburn',
    iterations: 1,
    aes128: '42 26 3c 6e 89 f4 fc 28 b8 df 68 ee 09 79 9f 15',
    aes256: 'fe 69 7b 52 bc 0d 3c e1 44 32 ba 03 6a 92 e6 5b bb 52 28 09 90 a2 fa 27 88 39 98 d7 2a f3 01 61',
  },
  {
    password: 'password',
    salt: 'ATHENA.MIT.EDUraeburn',
    iterations: 2,
    aes128: 'c6 51 bf 29 e2 30 0a c2 7f a4 69 d6 93 bd da 13',
    aes256: 'a2 e1 6d 16 b3 60 69 c1 35 d5 e9 d2 e2 5f 89 61 02 68 56 18 b9 59 14 b4 67 c6 76 22 22 58 24 ff',
  },
  {
    password: 'password',
    salt: 'ATHENA.MIT.EDUraeburn',
    iterations: 1200,
    aes128: '4c 01 cd 46 d6 32 d0 1e 6d be 23 0a 01 ed 64 2a',
    aes256: '55 a6 ac 74 0a d1 7b 48 46 94 10 51 e1 e8 b0 a7 54 8d 93 b0 ab 30 a8 bc 3f f1 62 80 38 2b 8c 2a',
  },
  {
    password: 'password',
    salt: '1234567878563412',
    saltHex: true,
    iterations: 5,
    aes128: 'e9 b2 3d 52 27 37 47 dd 5c 35 cb 55 be 61 9d 8e',
    aes256: '97 a4 e7 86 be 20 d8 1a 38 2d 5e bc 96 d5 90 9c ab cd ad c8 7c a4 8f 57 45 04 15 9f 16 c3 6e 31',
  },
  {
    password: 'X'.repeat(64),
    salt: 'pass phrase equals block size',
    iterations: 1200,
    aes128: '59 d1 bb 78 9a 82 8b 1a a5 4e f9 c2 88 3f 69 ed',
    aes256: '89 ad ee 36 08 db 8b c7 1f 1b fb fe 45 94 86 b0 56 18 b7 0c ba e2 20 92 53 4e 56 c5 53 ba 4b 34',
  },
  {
    password: 'X'.repeat(65),
    salt: 'pass phrase exceeds block size',
    iterations: 1200,
    aes128: 'cb 80 05 dc 5f 90 17 9a 7f 02 10 4c 00 18 75 1d',
    aes256: 'd7 8c 5c 9c b8 72 a8 c9 da d4 69 7f 0b b5 b2 d2 14 96 c8 2b eb 2c ae da 21 12 fc ee a0 57 40 1b',
  },
  {
    password: '\u{1D11E}', // g-clef, UTF-8 f0 9d 84 9e
    salt: 'EXAMPLE.COMpianist',
    iterations: 50,
    aes128: 'f1 49 c1 f2 e1 54 a7 34 52 d4 3e 7f e6 2a 56 e5',
    aes256: '4b 6d 98 39 f8 44 06 df 1f 09 cc 16 6d b4 b8 3c 57 18 48 b7 84 a3 d6 bd c3 46 58 9a 3e 39 3f 9e',
  },
];

/** RFC 3962 Appendix B AES-CBC-CTS: key "chicken teriyaki", IV zero, input = prefixes of `ctsPlaintext`. */
export const ctsKey = '63 68 69 63 6b 65 6e 20 74 65 72 69 79 61 6b 69';
export const ctsPlaintext = "I would like the General Gau's Chicken, please, and wonton soup.";
export const ctsVectors: { length: number; output: string }[] = [
  { length: 17, output: 'c6 35 35 68 f2 bf 8c b4 d8 a5 80 36 2d a7 ff 7f 97' },
  { length: 31, output: 'fc 00 78 3e 0e fd b2 c1 d4 45 d4 c8 ef f7 ed 22 97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5' },
  { length: 32, output: '39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8 97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84' },
  {
    length: 47,
    output: '97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 b3 ff fd 94 0c 16 a1 8c 1b 55 49 d2 f8 38 02 9e 39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5',
  },
  {
    length: 48,
    output: '97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 a1 94 bb d8 39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8',
  },
  {
    length: 64,
    output:
      '97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8 48 07 ef e8 36 ee 89 a5 26 73 0d bc 2f 7b c8 40 9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 a1 94 bb d8',
  },
];

/** MIT t_derive.c: DK(key, usage 2 ‖ 0x99 / 0xAA / 0x55). */
export const deriveVectors: { etype: number; key: string; constant: string; output: string }[] = [
  { etype: 17, key: '42263C6E89F4FC28B8DF68EE09799F15', constant: '0000000299', output: '34280A382BC92769B2DA2F9EF066854B' },
  { etype: 17, key: '42263C6E89F4FC28B8DF68EE09799F15', constant: '00000002AA', output: '5B14FC4E250E14DDF9DCCF1AF6674F53' },
  { etype: 17, key: '42263C6E89F4FC28B8DF68EE09799F15', constant: '0000000255', output: '4ED31063621684F09AE8D89991AF3E8F' },
  {
    etype: 18,
    key: 'FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161',
    constant: '0000000299',
    output: 'BFAB388BDCB238E9F9C98D6A878304F04D30C82556375AC507A7A852790F4674',
  },
  {
    etype: 18,
    key: 'FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161',
    constant: '00000002AA',
    output: 'C7CFD9CD75FE793A586A542D87E0D1396F1134A104BB1A9190B8C90ADA3DDF37',
  },
  {
    etype: 18,
    key: 'FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161',
    constant: '0000000255',
    output: '97151B4C76945063E2EB0529DC067D97D7BBA90776D8126D91F34F3101AEA8BA',
  },
];

/** MIT t_decrypt.c: Kerberos encryption (confounder ‖ plaintext, usage-derived keys) known answers. */
export const decryptVectors: { etype: number; plaintext: string; usage: number; key: string; ciphertext: string }[] = [
  { etype: 17, plaintext: '', usage: 0, key: '5A5C0F0BA54F3828B2195E66CA24A289', ciphertext: '49FF8E11C173D9583A3254FBE7B1F1DF36C538E8416784A1672E6676' },
  { etype: 17, plaintext: '1', usage: 1, key: '98450E3F3BAA13F5C99BEB936981B06F', ciphertext: 'F86742F537B35DC2174A4DBAA920FAF9042090B065E1EBB1CAD9A65394' },
  {
    etype: 17,
    plaintext: '9 bytesss',
    usage: 2,
    key: '9062430C8CDA3388922E6D6A509F5B7A',
    ciphertext: '68FB9679601F45C78857B2BF820FD6E53ECA8D42FD4B1D7024A09205ABB7CD2EC26C355D2F',
  },
  {
    etype: 17,
    plaintext: '13 bytes byte',
    usage: 3,
    key: '033EE6502C54FD23E27791E987983827',
    ciphertext: 'EC366D0327A933BF49330E650E49BC6B974637FE80BF532FE51795B4809718E6194724DB948D1FD637',
  },
  {
    etype: 17,
    plaintext: '30 bytes bytes bytes bytes byt',
    usage: 4,
    key: 'DCEEB70B3DE76562E689226C76429148',
    ciphertext: 'C96081032D5D8EEB7E32B4089F789D0FAA481DEA74C0F97CBF3146DDFCF8E800156ECB532FC203E30FF600B63B350939FECE510F02D7FF1E7BAC',
  },
  {
    etype: 18,
    plaintext: '',
    usage: 0,
    key: '17F275F2954F2ED1F90C377BA7F4D6A369AA0136E0BF0C927AD6133C693759A9',
    ciphertext: 'E5094C55EE7B38262E2B044280B069379A95BF95BD8376FB3281B435',
  },
  {
    etype: 18,
    plaintext: '1',
    usage: 1,
    key: 'B9477E1FF0329C0050E20CE6C72D2DFF27E8FE541AB0954429A9CB5B4F7B1E2A',
    ciphertext: '406150B97AEB76D43B36B62CC1ECDFBE6F40E95755E0BEB5C27825F3A4',
  },
  {
    etype: 18,
    plaintext: '9 bytesss',
    usage: 2,
    key: 'B1AE4CD8462AFF1677053CC9279AAC30B796FB81CE21474DD3DDBCFEA4EC76D7',
    ciphertext: '09957AA25FCAF88F7B39E4406E633012D5FEA21853F6478DA7065CAEF41FD454A40824EEC5',
  },
  {
    etype: 18,
    plaintext: '13 bytes byte',
    usage: 3,
    key: 'E5A72BE9B7926C1225BAFEF9C1872E7BA4CDB2B17893D84ABD90ACDD8764D966',
    ciphertext: 'D8F1AAFEEC84587CC3E700A774E56651A6D693E174EC4473B5E6D96F80297A653FB818AD893E719F96',
  },
  {
    etype: 18,
    plaintext: '30 bytes bytes bytes bytes byt',
    usage: 4,
    key: 'F1C795E9248A09338D82C3F8D5B567040B0110736845041347235B1404231398',
    ciphertext: 'D1137A4D634CFECE924DBC3BF6790648BD5CFF7DE0E7B99460211D0DAEF3D79A295C688858F3B34B9CBD6EEBAE81DAF6B734D4D498B6714F1C1D',
  },
  { etype: 23, plaintext: '', usage: 0, key: 'F81FEC39255F5784E850C4377C88BD85', ciphertext: '02C1EB1558614412 2EC717763DD348BF00434DDC6585954C' },
  { etype: 23, plaintext: '1', usage: 1, key: '67D1300D281223867F9647FF48721273', ciphertext: '6156E0CC04E0A0874F9FDA008F498A7ADBBC80B70B14DDDBC0' },
  {
    etype: 23,
    plaintext: '9 bytesss',
    usage: 2,
    key: '3E40AB6093695281B3AC1A9304224D98',
    ciphertext: '0F9AD121D99D4A09448E4F1F718C4F5CBE6096262C66F29DF232A87C9F98755D55',
  },
  {
    etype: 23,
    plaintext: '13 bytes byte',
    usage: 3,
    key: '4BA2FBF0379FAED87A254D3B353D5A7E',
    ciphertext: '612C57568B17A70352BAE8CF26FB9459A6F3353CD35FD439DB3107CBEC765D326DFC04C1DD',
  },
  {
    etype: 23,
    plaintext: '30 bytes bytes bytes bytes byt',
    usage: 4,
    key: '68F263DB3FCE15D031C9EAB02D67107A',
    ciphertext: '95F9047C3AD75891C2E9B04B16566DC8B6EB9CE4231AFB2542EF87A7B5A0F260A99F0460508DE0CECC632D07C354124E46C5D2234EB8',
  },
];

/** MIT t_cksums.c: keyed checksums (types 15, 16, -138). */
export const checksumVectors: { etype: number; checksumType: number; plaintext: string; usage: number; key: string; checksum: string }[] = [
  { etype: 17, checksumType: 15, plaintext: 'eight nine ten eleven twelve thirteen', usage: 3, key: '9062430C8CDA3388922E6D6A509F5B7A', checksum: '01A4B088D45628F6946614E3' },
  {
    etype: 18,
    checksumType: 16,
    plaintext: 'fourteen',
    usage: 4,
    key: 'B1AE4CD8462AFF1677053CC9279AAC30B796FB81CE21474DD3DDBCFEA4EC76D7',
    checksum: 'E08739E3279E2903EC8E3836',
  },
  {
    etype: 23,
    checksumType: -138,
    plaintext: 'seventeen eighteen nineteen twenty',
    usage: 6,
    key: 'F7D3A155AF5E238A0B7A871A96BA2AB2',
    checksum: 'EB38CC97E2230F59DA4117DC5859D7EC',
  },
];
