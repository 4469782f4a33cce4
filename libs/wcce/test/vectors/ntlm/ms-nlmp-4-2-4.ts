/**
 * MS-NLMP 4.2.1 common values and 4.2.4 NTLMv2 Authentication examples, copied as data
 * (spec text; also listed in research/wcce-protocol.md section 6). Hex strings.
 */
export const msNlmp424 = {
  // 4.2.1 Common Values
  user: 'User',
  domain: 'Domain',
  password: 'Password',
  serverName: 'Server',
  workstation: 'COMPUTER',
  randomSessionKey: '55555555555555555555555555555555',
  time: '0000000000000000',
  clientChallenge: 'aaaaaaaaaaaaaaaa',
  serverChallenge: '0123456789abcdef',
  // 4.2.4 Challenge Flags
  challengeFlags: 0xe28a8233,
  /** 4.2.4.1.3: the AV_PAIR list of the CHALLENGE (MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", EOL). */
  targetInfo: '02000c0044006f006d00610069006e00' + '01000c00530065007200760065007200' + '00000000',

  // 4.2.4.1.1 NTOWFv2() and LMOWFv2()
  responseKeyNT: '0c868a403bfd7a93a3001ef22ef02e3f',
  // 4.2.4.1.2 Session Base Key
  sessionBaseKey: '8de40ccadbc14a82f15cb0ad0de95ca3',
  // 4.2.4.1.3 temp
  temp:
    '01010000000000000000000000000000' +
    'aaaaaaaaaaaaaaaa00000000' +
    '02000c0044006f006d00610069006e00' +
    '01000c00530065007200760065007200' +
    '0000000000000000',
  // 4.2.4.2.1 LMv2 Response
  lmv2Response: '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa',
  // 4.2.4.2.2 NTLMv2 Response (the NTProofStr)
  ntProofStr: '68cd0ab851e51c96aabc927bebef6a1c',
  // 4.2.4.2.3 Encrypted Session Key
  encryptedRandomSessionKey: 'c5dad2544fc9799094ce1ce90bc9d03e',

  // 4.2.4.3 Messages
  challengeMessage:
    '4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef' +
    '00000000000000002400240044000000060070170000000f5300650072007600' +
    '6500720002000c0044006f006d00610069006e0001000c005300650072007600' +
    '6500720000000000',
  authenticateMessage:
    '4e544c4d535350000300000018001800' +
    '6c00000054005400840000000c000c00' +
    '48000000080008005400000010001000' +
    '5c00000010001000d8000000358288e2' +
    '0501280a0000000f44006f006d006100' +
    '69006e00550073006500720043004f00' +
    '4d005000550054004500520086c35097' +
    'ac9cec102554764a57cccc19aaaaaaaa' +
    'aaaaaaaa68cd0ab851e51c96aabc927b' +
    'ebef6a1c010100000000000000000000' +
    '00000000aaaaaaaaaaaaaaaa00000000' +
    '02000c0044006f006d00610069006e00' +
    '01000c00530065007200760065007200' +
    '0000000000000000c5dad2544fc97990' +
    '94ce1ce90bc9d03e',
  /** 4.2.4.3: ProductMajor 6, Minor 0, Build 6000 (0x1770), NTLMRevisionCurrent 15 in the CHALLENGE. */
  challengeVersion: { major: 6, minor: 0, build: 6000, revision: 15 },
  /** 4.2.4.3: 5.1 build 2600 (0x0a28), revision 15 in the AUTHENTICATE. */
  authenticateVersion: { major: 5, minor: 1, build: 2600, revision: 15 },
  authenticateFlags: 0xe2888235,

  // 4.2.4.4 GSS_WrapEx Examples (client to server, SeqNum 0)
  clientSealKey: '59f600973cc4960a25480a7c196e4c58',
  clientSignKey: '4788dc861b4782f35d43fd98fe1a2d39',
  plaintext: '50006c00610069006e007400650078007400',
  sealedData: '54e50165bf1936dc996020c1811b0f06fb5f',
  checksumBeforeRc4: '70352851f2564309',
  signature: '010000007fb38ec5c55d497600000000',
} as const;

/**
 * Server-direction keys for the same RandomSessionKey: not printed in MS-NLMP; taken from
 * research/wcce-protocol.md section 6 ("derived here" by the research session).
 */
export const msNlmp424ServerKeys = {
  serverSignKey: 'd04d6f10741041d1d246d64188d7a8ad',
  serverSealKey: '9355f3a957c1583d25c4c2f11e40390e',
} as const;
