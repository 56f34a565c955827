import { isDeepStrictEqual } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { EventStore } from '../event-store/event-store.port';
import { ReadModelSet, REBUILT_TABLES } from './read-model-set';

export interface Difference {
  table: string;
  key: string;
  column: string;
  live: unknown;
  rebuilt: unknown;
}

const parse = (v: unknown): unknown => {
  if (typeof v !== 'string' || !/^[[{]/.test(v)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** Leaf-level differences between two JSON values, as `a.b[2].c` paths. */
function leafDifferences(a: unknown, b: unknown, path: string, out: Array<{ path: string; live: unknown; rebuilt: unknown }>): void {
  if (isDeepStrictEqual(a, b)) return;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) {
    out.push({ path, live: a, rebuilt: b });
    return;
  }
  // Keys come from the stored JSON (custom attribute keys among them): compare own entries only.
  const [x, y] = [new Map(Object.entries(a as object)), new Map(Object.entries(b as object))];
  for (const k of new Set([...x.keys(), ...y.keys()])) {
    const child = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    leafDifferences(x.get(k), y.get(k), child, out);
  }
}

function rowsByKey(db: Database.Database, table: string, key: string): Map<string, Map<string, unknown>> {
  const rows = db.prepare(`SELECT * FROM ${table}`).all() as object[];
  return new Map(rows.map((r) => new Map(Object.entries(r))).map((r) => [String(r.get(key)), r]));
}

function compare(live: Database.Database, rebuilt: Database.Database, max: number): Difference[] {
  const out: Difference[] = [];
  for (const { table, key } of REBUILT_TABLES) {
    const a = rowsByKey(live, table, key);
    const b = rowsByKey(rebuilt, table, key);
    for (const id of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(id);
      const y = b.get(id);
      if (!x || !y) {
        out.push({ table, key: id, column: '*', live: x ? 'present' : 'missing', rebuilt: y ? 'present' : 'missing' });
      } else {
        // Row ids are storage detail: the same rows may be numbered differently by a rebuild.
        for (const column of new Set([...x.keys(), ...y.keys()])) {
          if (column === 'id') continue;
          const leaves: Array<{ path: string; live: unknown; rebuilt: unknown }> = [];
          leafDifferences(parse(x.get(column)), parse(y.get(column)), column, leaves);
          for (const leaf of leaves) out.push({ table, key: id, column: leaf.path, live: leaf.live, rebuilt: leaf.rebuilt });
        }
      }
      if (out.length >= max) return out;
    }
  }
  return out;
}

/**
 * Rebuilds every read model into a scratch database up to the live models' checkpoint and
 * compares row by row (JSON compared by value). Nothing live is changed except catching up.
 */
export async function verify(
  store: EventStore,
  livePath: string,
  options: { maxDifferences: number; onProgress?: (applied: number) => void },
): Promise<{ position: bigint; differences: Difference[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-verify-'));
  const live = ReadModelSet.open(store, livePath, { live: true });
  const scratch = ReadModelSet.open(store, join(dir, 'rebuilt.sqlite'), {
    live: false,
    scratch: true,
    batch: 20_000,
    onProgress: options.onProgress,
  });
  try {
    const head = await store.headPosition();
    await live.runUntil(head);
    // A read transaction pins the live snapshot while the scratch copy catches up with it.
    live.db.exec('BEGIN');
    try {
      const rows = live.db.prepare<[], { name: string; position: number }>('SELECT name, position FROM projection_checkpoints').all();
      const positions = new Map(rows.map((r) => [r.name, BigInt(r.position)]));
      await scratch.runEachUntil(positions);
      const at = [...positions.values()].reduce((m, p) => (p > m ? p : m), -1n);
      return { position: at, differences: compare(live.db, scratch.db, options.maxDifferences) };
    } finally {
      live.db.exec('COMMIT');
    }
  } finally {
    scratch.close();
    live.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
