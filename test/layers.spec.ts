import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The architecture, checked: layers point one way (http → application → domain), adapters and
 * projections depend on ports, and no module imports one that imports it back (directly or not).
 */
const SRC = resolve(__dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'console' ? [] : sources(path);
    return d.name.endsWith('.ts') && !d.name.endsWith('.spec.ts') && d.name !== 'spec-support.ts' ? [path] : [];
  });
}

/** Every module's imports of other modules in src/, type-only imports included (they couple the code too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((f) => f.startsWith('.'))
      .map((f) => relative(SRC, resolve(dirname(file), f)).replace(/\.(ts|js)$/, ''));
    graph.set(relative(SRC, file).replace(/\.ts$/, ''), targets);
  }
  return graph;
}

const layerOf = (module: string): string => module.split('/')[0];

describe('architecture', () => {
  const graph = importGraph();

  it.each([
    ['domain', ['domain']],
    ['application', ['application', 'domain', 'event-store', 'projections', 'shared', 'webhooks']],
    ['event-store', ['event-store', 'domain', 'shared', 'sqlite', 'postgres']],
    ['projections', ['projections', 'domain', 'event-store', 'shared', 'sqlite', 'postgres']],
    ['webhooks', ['webhooks', 'domain', 'projections', 'shared', 'observability']],
    // Store adapters (Apple's verifier) implement the application's ports.
    ['stores', ['stores', 'application', 'domain', 'shared']],
    ['observability', ['observability', 'config', 'event-store', 'projections', 'webhooks', 'shared']],
    ['lifecycle', ['lifecycle', 'config']],
    ['config', ['config', 'sqlite', 'postgres', 'webhooks']],
    ['sqlite', ['sqlite']],
    ['postgres', ['postgres']],
    ['shared', ['shared']],
  ])('%s imports only from %j', (layer, allowed) => {
    const offending = [...graph]
      .filter(([module]) => layerOf(module) === layer)
      .flatMap(([module, targets]) => targets.filter((t) => !allowed.includes(layerOf(t))).map((t) => `${module} → ${t}`));
    expect(offending).toEqual([]);
  });

  it('application never imports a renderer (rendering is the HTTP face’s job)', () => {
    const offending = [...graph].filter(([m]) => layerOf(m) === 'application').flatMap(([m, targets]) => targets.filter((t) => /presenter|render/.test(t)).map((t) => `${m} → ${t}`));
    expect(offending).toEqual([]);
  });

  it('no module imports one that imports it back', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (module: string, path: string[]): void => {
      if (state.get(module) === 'done') return;
      if (state.get(module) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(module)), module].join(' → '));
        return;
      }
      state.set(module, 'visiting');
      for (const next of graph.get(module) ?? []) if (graph.has(next)) visit(next, [...path, module]);
      state.set(module, 'done');
    };
    for (const module of graph.keys()) visit(module, []);
    expect(cycles).toEqual([]);
  });
});
