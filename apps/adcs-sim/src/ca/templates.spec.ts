import { BUILTIN_TEMPLATES, TemplateCatalog, TemplateConfigError } from './templates.js';

describe(TemplateCatalog.name, () => {
  it('publishes the built-ins, looked up case-insensitively', () => {
    const sut = TemplateCatalog.builtin();
    expect(sut.names()).toEqual(Object.keys(BUILTIN_TEMPLATES));
    expect(sut.get('webserver')?.name).toBe('WebServer');
    expect(sut.get('ManagerApproval')?.requiresApproval).toBe(true);
    expect(sut.get('EnrollmentAgentOffline')?.extendedKeyUsages).toEqual(['1.3.6.1.4.1.311.20.2.1']);
    expect(sut.get('CEPEncryption')).toMatchObject({
      keyUsages: ['keyEncipherment'],
      extendedKeyUsages: ['1.3.6.1.4.1.311.20.2.1'],
      allowedCurves: [],
    });
    expect(sut.get('IPSECIntermediateOffline')?.extendedKeyUsages).toEqual(['1.3.6.1.5.5.8.2.2']);
  });

  it('does not let one catalog change another (built-ins are copied)', () => {
    const a = TemplateCatalog.builtin();
    a.get('WebServer')!.keyUsages.push('cRLSign');
    expect(TemplateCatalog.builtin().get('WebServer')!.keyUsages).toEqual(['digitalSignature', 'keyEncipherment']);
  });

  it('merges a partial override into a built-in and keeps its canonical name', () => {
    const sut = TemplateCatalog.fromObject(
      {
        templates: {
          webserver: { validityDays: 10, allowedDnsSuffixes: ['.corp'] },
        },
      },
      'x.json',
    );
    expect(sut.get('WebServer')).toMatchObject({
      name: 'WebServer',
      validityDays: 10,
      allowedDnsSuffixes: ['.corp'],
      extendedKeyUsages: ['1.3.6.1.5.5.7.3.1'],
    });
  });

  it.each([
    ['not an object', 'templates: 3', /templates: /],
    ['unknown top-level key', 'templates: {}\nextra: 1', /Unrecognized key.*extra|extra/],
    ['unknown template field', 'templates:\n  WebServer:\n    validityDayz: 3', /templates\.WebServer: .*validityDayz/],
    ['bad OID', 'templates:\n  WebServer:\n    extendedKeyUsages: ["serverAuth"]', /templates\.WebServer\.extendedKeyUsages\.0: must be a dotted OID/],
    ['bad curve', 'templates:\n  WebServer:\n    allowedCurves: [P-192]', /templates\.WebServer\.allowedCurves\.0: /],
    ['no key type allowed', 'templates:\n  WebServer:\n    minRsaBits: null\n    allowedCurves: []', /templates\.WebServer\.minRsaBits: allows no key type/],
    ['cap below default', 'templates:\n  WebServer:\n    maxValidityDays: 10', /templates\.WebServer\.maxValidityDays: must not be below validityDays/],
    ['incomplete new template', 'templates:\n  Fresh:\n    validityDays: 5', /templates\.Fresh\.keyUsages: [\s\S]*templates\.Fresh\.minRsaBits: /],
    ['display name as template name', 'templates:\n  "Web Server":\n    validityDays: 5', /templates\.Web Server: template names are/],
    ['broken YAML', 'templates: [', /not valid YAML/],
  ])('rejects %s with a message naming the field', (_name, yaml, message) => {
    let error: unknown;
    try {
      TemplateCatalog.fromText(yaml, 'templates.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateConfigError);
    expect((error as TemplateConfigError).message).toMatch(message);
    expect((error as TemplateConfigError).message).toContain('templates.yaml');
  });
});
