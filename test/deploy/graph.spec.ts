/**
 * Module boundaries (Nx tags type:app|lib): the project graph Nx computes shows apps depending
 * on libs and never on each other, and libs never on apps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

interface Graph {
  graph: {
    nodes: Record<string, { name: string; data: { tags?: string[]; root: string } }>;
    dependencies: Record<string, { target: string }[]>;
  };
}

describe('nx project graph', () => {
  let graph: Graph['graph'];
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-graph-'));
    try {
      execFileSync(join(root, 'node_modules/.bin/nx'), ['graph', `--file=${join(dir, 'graph.json')}`], {
        cwd: root,
        stdio: 'ignore',
        env: { ...process.env, NX_DAEMON: 'false' },
      });
      graph = (JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')) as Graph).graph;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);

  const kind = (name: string) => graph.nodes[name]?.data.tags?.find((t) => t.startsWith('type:'));

  it('tags every project as an app, a lib or the bench', () => {
    for (const name of Object.keys(graph.nodes)) expect(['type:app', 'type:lib', 'type:bench']).toContain(kind(name));
    expect(
      Object.keys(graph.nodes)
        .filter((n) => kind(n) === 'type:app')
        .sort(),
    ).toEqual(['@enrollgate/acme-api', '@enrollgate/adcs-sim', '@enrollgate/scep-api', '@enrollgate/wcce-worker']);
  });

  it('has apps depending on libs and never on each other; libs never on apps', () => {
    // The benchmarks drive apps' code from outside (type:bench), so only apps and libs are held to this.
    const edges = Object.entries(graph.dependencies)
      .filter(([from]) => kind(from) !== 'type:bench')
      .flatMap(([from, deps]) => deps.filter((d) => graph.nodes[d.target]).map((d) => [from, d.target] as const));
    expect(edges.length).toBeGreaterThan(0);
    for (const [from, to] of edges) {
      expect({ from, to, toKind: kind(to) }).toEqual({ from, to, toKind: 'type:lib' });
    }
    expect(edges.some(([from]) => kind(from) === 'type:app')).toBe(true);
  });
});
