'use strict';
// Summarises a V8 .cpuprofile: self time by module (package / src file / node internals) and
// the top functions by self and by inclusive time. Usage: node bench/profile-summary.js FILE [N]

const { readFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function moduleOf(url, functionName) {
  if (!url) {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle)
    return '(native)';
  }
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (u.startsWith('node:')) return 'node:' + u.slice(5).split('/').slice(0, 2).join('/');
  if (u.startsWith(ROOT)) return path.relative(ROOT, u);
  return u;
}

function summarise(file, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);

  // Self time per node from samples/timeDeltas (µs).
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] !== undefined ? profile.timeDeltas[i + 1] : 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + dt);
    total += dt;
  }
  const key = (n) => {
    const cf = n.callFrame;
    return `${cf.functionName || '(anonymous)'}  ${moduleOf(cf.url, cf.functionName || '')}:${cf.lineNumber + 1}`;
  };

  const idle = [...self].filter(([id]) => nodes.get(id).callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const byModule = new Map();
  const bySelf = new Map();
  for (const [id, t] of self) {
    const n = nodes.get(id);
    if (n.callFrame.functionName === '(idle)') continue;
    const m = moduleOf(n.callFrame.url, n.callFrame.functionName);
    byModule.set(m, (byModule.get(m) || 0) + t);
    bySelf.set(key(n), (bySelf.get(key(n)) || 0) + t);
  }

  // Inclusive time per function key, counting a function once per stack (recursion-safe).
  const inclusive = new Map();
  for (const [id, t] of self) {
    if (nodes.get(id).callFrame.functionName === '(idle)') continue;
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) || 0) + t);
    }
  }

  const pct = (t) => `${((100 * t) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  const lines = [];
  lines.push(`profile ${path.relative(ROOT, file)}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / Math.max(1, total)).toFixed(0)}% of wall)`);
  lines.push('  self time by module (% of busy):');
  for (const [m, t] of sorted(byModule).slice(0, top)) lines.push(`    ${pct(t)}  ${m}`);
  lines.push('  top functions by self time:');
  for (const [k, t] of sorted(bySelf).slice(0, top)) lines.push(`    ${pct(t)}  ${k}`);
  lines.push('  top project functions (dist/) by inclusive time:');
  for (const [k, t] of sorted(inclusive)
    .filter(([k]) => / dist\//.test(k))
    .slice(0, top)) {
    lines.push(`    ${pct(t)}  ${k}`);
  }
  const interesting = [
    'JSON.parse',
    'parse',
    'stringify',
    'validate',
    'transform',
    'plainToInstance',
    'digest',
    'renderProfileV2',
    'findByCustomerUserId',
    'catchUpToHead',
    'headPosition',
    'execute',
    'flush',
  ];
  lines.push('  selected functions by inclusive time (any module):');
  for (const [k, t] of sorted(inclusive)
    .filter(([k]) => interesting.includes(k.split('  ')[0]))
    .slice(0, top)) {
    lines.push(`    ${pct(t)}  ${k}`);
  }
  return lines.join('\n');
}

module.exports = { summarise };

if (require.main === module) {
  process.stdout.write(summarise(path.resolve(process.argv[2]), Number(process.argv[3] || 20)) + '\n');
}
