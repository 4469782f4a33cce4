import { headerNameOf, headerValue, templateFromHeader } from './header-template.js';

describe(headerNameOf.name, () => {
  it.each([
    ['HTTP_USER_AGENT', 'user-agent'],
    ['http_x_forwarded_for', 'x-forwarded-for'],
    ['CONTENT_TYPE', 'content-type'],
    ['REMOTE_ADDR', undefined],
    ['USER_AGENT', undefined],
  ])('%s → %s', (cgi, header) => {
    expect(headerNameOf(cgi)).toBe(header);
  });
});

describe(headerValue.name, () => {
  it('reads the header a header_info_list entry names', () => {
    expect(headerValue({ 'user-agent': 'lego/4 template=User' }, 'HTTP_USER_AGENT')).toBe('lego/4 template=User');
    expect(headerValue({ 'x-a': ['1', '2'] }, 'HTTP_X_A')).toBe('1, 2');
    expect(headerValue({}, 'HTTP_USER_AGENT')).toBeUndefined();
    expect(headerValue(undefined, 'HTTP_USER_AGENT')).toBeUndefined();
  });
});

describe(templateFromHeader.name, () => {
  it.each([
    // acme.sh --useragent template=foo; lego --user-agent "... template=User"; certbot --user-agent
    ['template=foo', 'foo'],
    ['goacme-lego/4.20 xenolf-acme/4.20 (release; linux; amd64) template=User', 'User'],
    ['acme.sh/3.0 TEMPLATE=WebServerModified', 'WebServerModified'],
    ['CertbotACMEClient/2.9.0 (certbot; Debian) Authenticator/standalone template=WebServer', 'WebServer'],
    ['x template=A template=B', 'A'],
    ['x template=a=b', 'a=b'],
    ['x template= y', undefined],
    ['x template y', undefined],
    ['x mytemplate=A', undefined],
    ['CertbotACMEClient/2.9.0', undefined],
  ])('%s → %s', (ua, template) => {
    expect(templateFromHeader(ua)).toBe(template);
  });
});
