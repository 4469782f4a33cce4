/**
 * deploy/k8s: no cluster runs here, so each overlay is rendered by `kubectl kustomize` (kubectl on
 * PATH; Debian's kubernetes-client is enough: the manifests keep to kustomize v2.0 syntax) and the
 * rendered objects are checked the way the cluster and the apps would take them:
 *  - every app's environment, with its ConfigMaps and its mounted Secret files, passes that app's
 *    own configuration schema (the dev overlay's generated secrets as they are; the Secrets the prod
 *    overlay leaves to the operator with the keys the README lists);
 *  - the dev overlay is self-contained: every ConfigMap and Secret (and key) it references exists,
 *    and the worker's CA account is the simulator's;
 *  - ports, probes, Services, PDBs, HPAs, Ingress backends and NetworkPolicies fit the pods;
 *  - KEDA's Redis list is where the real producer puts an enrollment (a wrong key reads 0);
 *  - every metric an alert names is one the apps register.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { QUEUE_ENROLL } from '@enrollgate/contracts';
import { FrontendRuntime } from '@enrollgate/enrollment';
import { HealthRegistry, createLogger, loadConfig } from '@enrollgate/platform';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import { parseKrb5Conf } from '@enrollgate/wcce';
import { acmeConfigSchema } from '../../apps/acme-api/src/config.js';
import { parseSimArgs } from '../../apps/adcs-sim/src/cli.js';
import { scepConfigSchema } from '../../apps/scep-api/src/config.js';
import { workerConfigSchema } from '../../apps/wcce-worker/src/config.js';
import { sqliteTestDatabase } from '../support/databases.js';
import { openTestRedis } from '../support/redis.js';
import { requireTool } from '../support/tools.js';

const root = resolve(import.meta.dirname, '../..');
const k8s = join(root, 'deploy/k8s');

/**
 * The Secrets the prod overlay expects the operator to create (README "Kubernetes"), with a
 * well-formed value per key: what the apps will find in the mounted files.
 */
const OPERATOR_SECRETS: Record<string, Record<string, string>> = {
  'enrollgate-connections': {
    'database-url': 'postgres://enrollgate:s3cret@db.corp.example.com:5432/enrollgate',
    'redis-url': 'redis://:s3cret@redis.corp.example.com:6379',
    'redis-address': 'redis.corp.example.com:6379',
    'redis-password': 's3cret',
  },
  // ra-key-encryption-key: base64 of 32 bytes (openssl rand -base64 32)
  'enrollgate-scep': { 'challenge-password': 'challenge', 'admin-password': 'admin', 'ra-key-encryption-key': Buffer.alloc(32, 0x5a).toString('base64') },
  'enrollgate-wcce-keytab': { keytab: 'KEYTAB' },
};

const APPS = [
  { name: 'acme-api', schema: acmeConfigSchema, listen: 'ACME_LISTEN' },
  { name: 'scep-api', schema: scepConfigSchema, listen: 'SCEP_LISTEN' },
  { name: 'wcce-worker', schema: workerConfigSchema, listen: 'WORKER_LISTEN' },
] as const;

// ------------------------------------------------------------------ rendered objects
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- Kubernetes objects are checked field by field below
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
}

const kubectl = requireTool('kubectl', ['version', '--client'], 'kubernetes-client', 'k8s.spec') ? 'kubectl' : undefined;
const describeK8s = kubectl ? describe : describe.skip;

function render(overlay: string): K8sObject[] {
  const out = execFileSync(kubectl as string, ['kustomize', join(k8s, overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const deployment = (objs: K8sObject[], name: string) => {
  const d = find(objs, 'Deployment', name);
  if (!d) throw new Error(`no Deployment ${name}`);
  return d;
};
const podSpec = (d: K8sObject) => d.spec.template.spec as { containers: Container[]; initContainers?: Container[]; volumes?: Volume[]; securityContext?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const mainContainer = (d: K8sObject) => podSpec(d).containers.find((c) => c.name === d.metadata.name) as Container;
const decode = (secret: K8sObject, key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
/** A generated ConfigMap/Secret keeps its name plus kustomize's hash suffix. */
const generated = (objs: K8sObject[], kind: string, ref: string) => objs.find((o) => o.kind === kind && o.metadata.name === ref);

/**
 * The environment a container starts with: values, envFrom ConfigMaps, and every *_FILE path
 * mapped onto a temp directory holding what its mounted Secret/ConfigMap would hold.
 */
function containerEnv(objs: K8sObject[], d: K8sObject, c: Container, tmp: string, operatorSecrets: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const cm = name ? generated(objs, 'ConfigMap', name) : undefined;
    if (!cm) throw new Error(`${d.metadata.name}: envFrom ConfigMap ${name} is not in the rendering`);
    Object.assign(env, cm.data);
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom !== undefined) throw new Error(`${d.metadata.name}: ${e.name} uses valueFrom; secrets are mounted files (*_FILE)`);
    env[e.name] = e.value ?? '';
  }
  const volumes = podSpec(d).volumes ?? [];
  for (const [key, path] of Object.entries(env)) {
    if (!key.endsWith('_FILE') || !path) continue;
    const mount = (c.volumeMounts ?? []).find((m) => posix.dirname(path) === m.mountPath);
    if (!mount) throw new Error(`${d.metadata.name}: ${key}=${path} is under no volume mount`);
    const volume = volumes.find((v) => v.name === mount.name);
    const file = posix.basename(path);
    let content: string | undefined;
    if (volume?.secret) {
      const secret = generated(objs, 'Secret', volume.secret.secretName);
      if (secret) content = secret.data?.[file] === undefined ? undefined : decode(secret, file);
      else {
        operatorSecrets.push(volume.secret.secretName);
        content = OPERATOR_SECRETS[volume.secret.secretName]?.[file];
      }
    } else if (volume?.configMap) content = generated(objs, 'ConfigMap', volume.configMap.name)?.data?.[file];
    if (content === undefined) throw new Error(`${d.metadata.name}: ${key} names ${file}, which volume ${mount.name} does not provide`);
    const local = join(tmp, d.metadata.name, mount.name, file);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, content);
    env[key] = local;
  }
  return env;
}

function listenPort(env: Record<string, string>, key: string): number {
  return Number(/:(\d+)$/.exec(env[key] ?? '')?.[1]);
}

/** metric names the apps register: metrics.counter|gauge|histogram('name', …), plus the policy lib's constant */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(p);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\.(?:counter|gauge|histogram)\(\s*'([a-z_]+)'/g)) names.add(`enrollgate_${m[1]}`);
      }
    }
  };
  walk(join(root, 'apps'));
  walk(join(root, 'libs'));
  return names;
}

describeK8s('deploy/k8s', () => {
  const overlays = kubectl ? { dev: render('overlays/dev'), prod: render('overlays/prod') } : { dev: [], prod: [] };
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'enrollgate-k8s-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  describe.each(['dev', 'prod'] as const)('overlay %s', (overlay) => {
    const objs = () => overlays[overlay];

    it.each(APPS.map((a) => [a.name, a] as const))("%s's environment, ConfigMaps and mounted secrets pass its configuration schema", (_name, app) => {
      const d = deployment(objs(), app.name);
      const operatorSecrets: string[] = [];
      const env = containerEnv(objs(), d, mainContainer(d), join(tmp, overlay), operatorSecrets);
      expect(() => loadConfig(app.name, app.schema, env)).not.toThrow();
      for (const init of podSpec(d).initContainers ?? []) {
        // the migrate init container: the store CLI reads DATABASE_URL_FILE
        expect(init.command).toEqual(['node', 'libs/store/dist/cli.js', 'migrate']);
        const initEnv = containerEnv(objs(), d, init, join(tmp, overlay, 'init'), operatorSecrets);
        expect(readFileSync(initEnv['DATABASE_URL_FILE'] as string, 'utf8')).toMatch(/^postgres:\/\//);
        expect(init.image).toBe(mainContainer(d).image);
      }
      if (overlay === 'dev') expect(operatorSecrets).toEqual([]);
      else for (const s of operatorSecrets) expect(Object.keys(OPERATOR_SECRETS)).toContain(s);
    });

    it.each(APPS.map((a) => [a.name, a] as const))(
      '%s listens on its container port, probed on /livez and /readyz, as the Dockerfile EXPOSEs',
      (_name, app) => {
        const d = deployment(objs(), app.name);
        const c = mainContainer(d);
        const port = listenPort(Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ''])), app.listen);
        expect(c.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
        expect(c.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'http' });
        expect(c.startupProbe?.httpGet).toEqual({ path: '/livez', port: 'http' });
        expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
        const dockerfile = readFileSync(join(root, 'apps', app.name, 'Dockerfile'), 'utf8');
        expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
        expect(c.image.split(':')[0]).toMatch(new RegExp(`(^|/)enrollgate/${app.name}$`));
      },
    );

    it.each(APPS.map((a) => [a.name]))('%s runs as the image user, non-root, read-only, without capabilities or a service-account token', (name) => {
      const d = deployment(objs(), name);
      const spec = podSpec(d);
      // USER node in every Dockerfile: uid 1000 in node:20-bookworm-slim
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(d.spec.template.spec.automountServiceAccountToken).toBe(false);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    });

    it('each Service, PDB and HPA selects or targets an app that exists, on a named container port', () => {
      const deployments = objs().filter((o) => o.kind === 'Deployment');
      const podLabels = (d: K8sObject) => d.spec.template.metadata.labels as Record<string, string>;
      const selects = (selector: Record<string, string>) =>
        deployments.filter((d) => Object.entries(selector).every(([k, v]) => podLabels(d)[k] === v)).map((d) => d.metadata.name);
      for (const svc of objs().filter((o) => o.kind === 'Service')) {
        const [target] = selects(svc.spec.selector);
        expect(selects(svc.spec.selector)).toEqual([target]);
        const ports = (deployment(objs(), target as string).spec.template.spec.containers as Container[]).flatMap((c) => c.ports ?? []);
        for (const p of svc.spec.ports as { targetPort: string }[]) expect(ports.map((cp) => cp.name)).toContain(p.targetPort);
      }
      const pdbs = objs().filter((o) => o.kind === 'PodDisruptionBudget');
      expect(pdbs.map((p) => selects(p.spec.selector.matchLabels)).sort()).toEqual([['acme-api'], ['scep-api'], ['wcce-worker']]);
      for (const hpa of objs().filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
        expect(deployments.map((d) => d.metadata.name)).toContain(hpa.spec.scaleTargetRef.name);
        expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
      }
    });
  });

  describe('dev overlay', () => {
    const objs = () => overlays.dev;

    it('is self-contained: every referenced ConfigMap, Secret and key is rendered', () => {
      for (const d of objs().filter((o) => o.kind === 'Deployment')) {
        for (const v of podSpec(d).volumes ?? []) {
          if (v.secret) expect(generated(objs(), 'Secret', v.secret.secretName)).toBeDefined();
          if (v.configMap) expect(generated(objs(), 'ConfigMap', v.configMap.name)).toBeDefined();
        }
        for (const c of podSpec(d).containers)
          for (const f of c.envFrom ?? []) expect(generated(objs(), 'ConfigMap', f.configMapRef?.name as string)).toBeDefined();
      }
      expect(objs().every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'enrollgate-dev')).toBe(true);
    });

    it("the worker logs in to the simulator with the simulator's account, at its Service", () => {
      const sim = mainContainer(deployment(objs(), 'adcs-sim'));
      expect(sim.args?.slice(0, 2)).toEqual(['node', 'apps/adcs-sim/dist/main.js']);
      const simArgs = parseSimArgs(sim.args?.slice(2) ?? []);
      const worker = deployment(objs(), 'wcce-worker');
      const env = containerEnv(objs(), worker, mainContainer(worker), join(tmp, 'dev-sim'), []);
      const config = loadConfig('wcce-worker', workerConfigSchema, env);
      expect(config.WCCE_HOST).toEqual([`adcs-sim:${simArgs.listen.port}`]);
      expect(config.WCCE_CA_NAME).toEqual([simArgs.caName]);
      expect(sim.args).toContain(`--user=${config.WCCE_USER}:${config.WCCE_PASSWORD?.reveal()}`);
      const simService = find(objs(), 'Service', 'adcs-sim');
      expect(simService?.spec.ports).toContainEqual(expect.objectContaining({ port: simArgs.listen.port }));
    });

    it('the apps reach the Redis and PostgreSQL it runs, with the password PostgreSQL is given', () => {
      const acme = deployment(objs(), 'acme-api');
      const env = containerEnv(objs(), acme, mainContainer(acme), join(tmp, 'dev-db'), []);
      const db = new URL(readFileSync(env['DATABASE_URL_FILE'] as string, 'utf8'));
      const redis = new URL(readFileSync(env['REDIS_URL_FILE'] as string, 'utf8'));
      expect(find(objs(), 'Service', db.hostname)?.spec.ports[0].port).toBe(Number(db.port));
      expect(find(objs(), 'Service', redis.hostname)?.spec.ports[0].port).toBe(Number(redis.port));
      const pg = mainContainer(deployment(objs(), 'postgres'));
      const pgEnv = containerEnv(objs(), deployment(objs(), 'postgres'), pg, join(tmp, 'dev-pg'), []);
      expect(readFileSync(pgEnv['POSTGRES_PASSWORD_FILE'] as string, 'utf8')).toBe(decodeURIComponent(db.password));
      expect(pgEnv['POSTGRES_USER']).toBe(db.username);
      expect(mainContainer(deployment(objs(), 'redis')).args?.join(' ')).toContain('--maxmemory-policy noeviction');
    });

    it('runs two scep-api replicas that enroll their RA certificates once, into the shared database (key from enrollgate-scep)', () => {
      const d = deployment(objs(), 'scep-api');
      const env = containerEnv(objs(), d, mainContainer(d), join(tmp, 'dev-scep'), []);
      expect(d.spec.replicas).toBe(2);
      expect(find(objs(), 'HorizontalPodAutoscaler', 'scep-api')?.spec.minReplicas).toBe(2);
      const config = loadConfig('scep-api', scepConfigSchema, env);
      expect(config.SCEP_RA_MODE).toBe('enroll');
      expect(config.SCEP_RA_STORE).toBe('database');
      expect(Buffer.from(config.SCEP_RA_KEY_ENCRYPTION_KEY!.reveal(), 'base64')).toHaveLength(32);
      const keyFile = mainContainer(d).env?.find((e) => e.name === 'SCEP_RA_KEY_ENCRYPTION_KEY_FILE')?.value ?? '';
      const mount = mainContainer(d).volumeMounts?.find((m) => keyFile.startsWith(`${m.mountPath}/`));
      expect(podSpec(d).volumes?.find((v) => v.name === mount?.name)?.secret?.secretName).toMatch(/^enrollgate-scep(-|$)/);
      // nothing of the files mode is left: no RA Secret, no RA files
      expect(podSpec(d).volumes?.map((v) => v.secret?.secretName ?? '')).not.toContainEqual(expect.stringMatching(/scep-ra/));
      expect(Object.keys(env).filter((k) => /^SCEP_(RA_(SIGNING|ENCRYPTION)_|CA_CHAIN_)/.test(k))).toEqual([]);
    });
  });

  describe('prod overlay', () => {
    const objs = () => overlays.prod;

    it('holds no Secret: the operator makes them (README lists each key)', () => {
      expect(objs().filter((o) => o.kind === 'Secret')).toEqual([]);
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      for (const [name, keys] of Object.entries(OPERATOR_SECRETS)) {
        expect(readme).toContain(name);
        for (const key of Object.keys(keys)) expect(readme).toContain(key);
      }
    });

    it('authenticates the worker with a keytab and a krb5.conf naming the realm and its KDCs', () => {
      const worker = deployment(objs(), 'wcce-worker');
      const env = containerEnv(objs(), worker, mainContainer(worker), join(tmp, 'prod-krb'), []);
      const config = loadConfig('wcce-worker', workerConfigSchema, env);
      expect(config.WCCE_USE_KERBEROS).toBe(true);
      expect(config.WCCE_PASSWORD).toBeUndefined();
      const mounts = mainContainer(worker).volumeMounts ?? [];
      const volumes = podSpec(worker).volumes ?? [];
      const volumeAt = (path: string) => volumes.find((v) => v.name === mounts.find((m) => m.mountPath === posix.dirname(path))?.name);
      expect(volumeAt(config.WCCE_KRB5_KEYTAB as string)?.secret?.secretName).toBe('enrollgate-wcce-keytab');
      const krb5 = generated(objs(), 'ConfigMap', volumeAt(config.WCCE_KRB5_CONFIG as string)?.configMap?.name as string);
      const conf = parseKrb5Conf(krb5?.data?.[posix.basename(config.WCCE_KRB5_CONFIG as string)] ?? '');
      const realm = (config.WCCE_KRB5_PRINCIPAL as string).split('@')[1] as string;
      expect(conf.defaultRealm).toBe(realm);
      expect(conf.kdcs.get(realm)?.length).toBeGreaterThan(0);
    });

    it('scales the worker with KEDA on the BullMQ list the producer really fills', async () => {
      const scaled = find(objs(), 'ScaledObject', 'wcce-worker');
      expect(scaled?.spec.scaleTargetRef.name).toBe('wcce-worker');
      const [trigger] = scaled?.spec.triggers as { type: string; metadata: { listName: string }; authenticationRef: { name: string } }[];
      expect(trigger?.type).toBe('redis');
      const auth = find(objs(), 'TriggerAuthentication', trigger?.authenticationRef.name as string);
      for (const ref of auth?.spec.secretTargetRef as { name: string; key: string }[]) expect(OPERATOR_SECRETS[ref.name]?.[ref.key]).toBeDefined();
      const common = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('enrollgate-common'));
      const queuePrefix = common?.data?.['QUEUE_PREFIX'] as string;
      expect(trigger?.metadata.listName).toBe(`${queuePrefix}:${QUEUE_ENROLL}:wait`);

      // The same key shape under a test prefix: one enrollment submitted through the front-ends'
      // producer must be counted by LLEN of that list (and nothing hides in the priority set).
      const redis = await openTestRedis();
      const db = await sqliteTestDatabase.open();
      const handle = openDatabase(db.url);
      await migrateToLatest(handle);
      await handle.close();
      const runtime = await FrontendRuntime.start({
        protocol: 'acme',
        redisUrl: redis.url,
        databaseUrl: db.url,
        queuePrefix: redis.prefix,
        logger: createLogger({ app: 'k8s-spec', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
        health: new HealthRegistry(),
      });
      try {
        await runtime.producer.submit({
          requestKey: 'keda-probe',
          protocol: 'acme',
          csr: Buffer.from('3000', 'hex').toString('base64'),
          template: 'WebServer',
          requester: { protocol: 'acme', subject: 'k8s.spec' },
          submittedAt: new Date().toISOString(),
        });
        const listName = trigger?.metadata.listName.replace(`${queuePrefix}:`, `${redis.prefix}:`) as string;
        expect(await redis.client.llen(listName)).toBe(1);
        expect(await redis.client.zcard(`${redis.prefix}:${QUEUE_ENROLL}:prioritized`)).toBe(0);
      } finally {
        await runtime.close();
        await redis.cleanup();
        await db.cleanup();
      }
    });

    it('denies by default and lets each app reach only what it needs', () => {
      const policies = objs().filter((o) => o.kind === 'NetworkPolicy');
      const deny = policies.find((p) => p.metadata.name === 'enrollgate-default-deny');
      expect(deny?.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(deny?.spec.ingress).toBeUndefined();
      expect(deny?.spec.egress).toBeUndefined();
      for (const app of APPS) {
        const labels = deployment(objs(), app.name).spec.template.metadata.labels as Record<string, string>;
        expect(Object.entries(deny?.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)).toBe(true);
      }
      const egress = (name: string) =>
        (policies.find((p) => p.metadata.name === name)?.spec.egress as { ports: { protocol: string; port: number }[] }[]).flatMap((r) =>
          r.ports.map((p) => `${p.port}/${p.protocol}`),
        );
      const ingress = (name: string) =>
        (policies.find((p) => p.metadata.name === name)?.spec.ingress as { ports: { port: number }[] }[]).flatMap((r) => r.ports.map((p) => p.port));
      expect(egress('wcce-worker').sort()).toEqual(['445/TCP', '53/TCP', '53/UDP', '6379/TCP', '88/TCP', '88/UDP']);
      expect(egress('acme-api').sort()).toEqual(['443/TCP', '53/TCP', '53/UDP', '5432/TCP', '6379/TCP', '80/TCP']);
      expect(egress('scep-api').sort()).toEqual(['53/TCP', '53/UDP', '5432/TCP', '6379/TCP']);
      for (const app of APPS) expect(ingress(app.name)).toEqual([mainContainer(deployment(objs(), app.name)).ports?.[0]?.containerPort]);
    });

    it('routes only protocol paths through the Ingress, to Services that exist', () => {
      for (const ing of objs().filter((o) => o.kind === 'Ingress')) {
        for (const rule of ing.spec.rules as { http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] } }[]) {
          for (const p of rule.http.paths) {
            const svc = find(objs(), 'Service', p.backend.service.name);
            expect(svc?.spec.ports.map((sp: { name: string }) => sp.name)).toContain(p.backend.service.port.name);
            expect(p.path).not.toMatch(/metrics|livez|readyz|\/api/);
          }
        }
      }
      const acme = find(objs(), 'Ingress', 'acme-api');
      const acmeHost = acme?.spec.rules[0].host as string;
      const acmeEnv = containerEnv(objs(), deployment(objs(), 'acme-api'), mainContainer(deployment(objs(), 'acme-api')), join(tmp, 'prod-ing'), []);
      expect(new URL(acmeEnv['ACME_PUBLIC_URL'] as string).host).toBe(acmeHost);
      expect(acme?.spec.tls[0].hosts).toEqual([acmeHost]);
    });

    it("the cert-manager example's ACME server is the overlay's directory URL", () => {
      const [issuer] = parseAllDocuments(readFileSync(join(k8s, 'examples/cert-manager-clusterissuer.yaml'), 'utf8')).map((d) => d.toJS() as K8sObject);
      const acme = deployment(objs(), 'acme-api');
      const env = containerEnv(objs(), acme, mainContainer(acme), join(tmp, 'prod-cm'), []);
      const config = loadConfig('acme-api', acmeConfigSchema, env);
      expect(issuer?.kind).toBe('ClusterIssuer');
      expect(issuer?.spec.acme.server).toBe(`${(config.ACME_PUBLIC_URL as string).replace(/\/$/, '')}/directory`);
    });

    it('alerts only on metrics the apps register', () => {
      const registered = registeredMetrics();
      const rule = find(objs(), 'PrometheusRule', 'enrollgate');
      const exprs = (rule?.spec.groups as { rules: { expr: string }[] }[]).flatMap((g) => g.rules.map((r) => r.expr));
      expect(exprs.length).toBeGreaterThan(0);
      for (const expr of exprs) {
        const used = [...expr.matchAll(/enrollgate_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
        expect(used.length).toBeGreaterThan(0);
        for (const name of used) expect([...registered]).toContain(name);
      }
    });
  });
});
