import { isDeepStrictEqual } from 'node:util';

export interface Difference {
  table: string;
  key: string;
  column: string;
  live: unknown;
  rebuilt: unknown;
}

const parseJson = (v: unknown): unknown => {
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

/** Rows of one derived table on each side, by key (columns as the store returns them). */
export interface TableRows {
  table: string;
  live: Map<string, Map<string, unknown>>;
  rebuilt: Map<string, Map<string, unknown>>;
}

/** Row-by-row, column-by-column differences (JSON compared by value; `id` columns are storage detail), up to `max`. */
export function compareRows(tables: TableRows[], max: number): Difference[] {
  const out: Difference[] = [];
  for (const { table, live: a, rebuilt: b } of tables) {
    for (const id of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(id);
      const y = b.get(id);
      if (!x || !y) {
        out.push({ table, key: id, column: '*', live: x ? 'present' : 'missing', rebuilt: y ? 'present' : 'missing' });
      } else {
        for (const column of new Set([...x.keys(), ...y.keys()])) {
          if (column === 'id') continue;
          const leaves: Array<{ path: string; live: unknown; rebuilt: unknown }> = [];
          leafDifferences(parseJson(x.get(column)), parseJson(y.get(column)), column, leaves);
          for (const leaf of leaves) out.push({ table, key: id, column: leaf.path, live: leaf.live, rebuilt: leaf.rebuilt });
        }
      }
      if (out.length >= max) return out;
    }
  }
  return out;
}
