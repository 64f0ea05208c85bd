/** src/'s folders import downward only, as CONTRIBUTING.md's map lists them: the map is the code's, and cannot drift from it. */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types (the lint rule's graph)
import { importGraph } from '../../scripts/import-graph.mjs';
import { ROOT } from '../helpers/run.js';

/** The map's rows, bottom layer first: `common`, `gitexec`, …, `index.ts`, `cli`, `action`. */
function layers(): string[] {
  const text = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');
  const map = text.slice(text.indexOf('## The map of `src/`'), text.indexOf('\n## ', text.indexOf('## The map of `src/`') + 1));
  return [...map.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => (m[1] as string).replace(/\/$/, ''));
}

/** The leaf type modules any layer may name. */
const SHARED = ['pipeline/handoff.ts', 'verify/spec.ts'];

describe("src's layers", () => {
  it('lists every folder of src/ once, and each imports only from layers before it', () => {
    const order = layers();
    const graph = importGraph() as Map<string, string[]>;
    const layerOf = (file: string) => {
      const rel = relative(join(ROOT, 'src'), file);
      return rel.includes('/') ? (rel.split('/')[0] as string) : rel;
    };
    const present = [...new Set([...graph.keys()].map(layerOf))].sort();
    expect([...order].sort()).toEqual(present);
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = order.indexOf(layerOf(file));
      for (const dep of deps) {
        const to = order.indexOf(layerOf(dep));
        const shared = SHARED.includes(relative(join(ROOT, 'src'), dep));
        if (to > from && !shared) wrong.push(`${relative(ROOT, file)} → ${relative(ROOT, dep)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
