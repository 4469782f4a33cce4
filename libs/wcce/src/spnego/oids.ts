/** Mechanism OIDs used with SPNEGO (RFC 4178, MS-SPNG 2.2, MS-NLMP 1.9, MS-KILE 3.1.5.11). */
export const MechOid = {
  SPNEGO: '1.3.6.1.5.5.2',
  NTLMSSP: '1.3.6.1.4.1.311.2.2.10',
  /** The OID Windows uses for Kerberos in SPNEGO (a historical mis-encoding of KRB5's). */
  MS_KRB5: '1.2.840.48018.1.2.2',
  KRB5: '1.2.840.113554.1.2.2',
  NEGOEX: '1.3.6.1.4.1.311.2.2.30',
} as const;
