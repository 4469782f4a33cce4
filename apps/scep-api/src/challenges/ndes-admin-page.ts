/**
 * The NDES challenge page, /certsrv/mscep_admin/ (research/scep-windows.md §5.1): HTML in
 * UTF-16LE as IIS serves it, with the sentences Fleet's NDES integration scrapes
 * (`The enrollment challenge password is: <B> (\S*)`) and the two error texts it maps.
 */
import { createHash } from 'node:crypto';

const HEAD = '<HTML><Head><Meta HTTP-Equiv="Content-Type" Content="text/html; charset=UTF-16"><Title>Network Device Enrollment Service</Title></Head>';

/** NDES shows the CA certificate's MD5 as four groups of eight upper-case hex digits. */
export function ndesThumbprint(caDer: Uint8Array): string {
  const hex = createHash('md5').update(caDer).digest('hex').toUpperCase();
  return hex.match(/.{8}/g)!.join(' ');
}

function page(body: string): string {
  return `${HEAD}\r\n<Body BgColor=#FFFFFF><Font ID=locPageFont Face="Arial">\r\n<P ID=locPageTitle> <Font Size=+1> <B>Network Device Enrollment Service</B></Font></P>\r\n${body}\r\n</Font></Body></HTML>\r\n`;
}

export function challengePage(password: string, caDer: Uint8Array, ttlMinutes: number): string {
  return page(
    '<P> Network Device Enrollment Service allows you to obtain certificates for routers or other network devices using the Simple Certificate Enrollment Protocol (SCEP). </P>\r\n' +
      '<P> To complete certificate enrollment for your network device you will need the following information: </P>\r\n' +
      `<P> The thumbprint (hash value) for the CA certificate is: <B> ${ndesThumbprint(caDer)} </B> </P>\r\n` +
      `<P> The enrollment challenge password is: <B> ${password} </B> </P>\r\n` +
      `<P> This password can be used only once and will expire within ${ttlMinutes} minutes. </P>\r\n` +
      '<P> Each enrollment requires a new challenge password. You can refresh this web page to obtain a new challenge password. </P>',
  );
}

export function cacheFullPage(): string {
  return page('<P> The password cache is full. </P>\r\n<P> Please try again later or use one of the passwords already issued. </P>');
}

export function noPermissionPage(): string {
  return page('<P> You do not have sufficient permission to enroll with SCEP. Please contact your system administrator. </P>');
}

/** UTF-16LE with a byte-order mark, as IIS sends it. */
export function utf16le(html: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, 'utf16le')]);
}
