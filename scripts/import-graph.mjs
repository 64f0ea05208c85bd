/**
 * src/'s import graph, type imports included, and the loops in it: what the
 * lint rule in eslint-no-cycles.mjs reports. Each module's specifiers are read
 * with TypeScript's own pre-processor (imports, `export … from`, `import()`),
 * so `import type` counts like any other import: a loop of types is still a
 * loop of modules that cannot be understood one at a time.
 *
 *   node scripts/import-graph.mjs    prints every loop, or nothing
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under `dir`, as absolute paths. */
function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Module → the local modules it imports (`./x.js` names `./x.ts`). */
export function importGraph(src = join(ROOT, 'src')) {
  const graph = new Map();
  for (const file of tsFiles(src)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** The graph's strongly connected parts of more than one module (or one that imports itself): its loops. */
export function loops(graph) {
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) === indexOf.get(v)) {
      const part = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

/** One shortest path of imports from `from` back to itself inside `part`: the loop as a reader follows it. */
export function loopThrough(graph, from, part) {
  const inside = new Set(part);
  const prev = new Map([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === from) {
        const path = [v];
        for (let p = prev.get(v); p !== null && p !== undefined; p = prev.get(p)) path.unshift(p);
        return [...path, from];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [from];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  const found = loops(graph);
  for (const part of found) {
    console.log(`${part.length} modules: ${loopThrough(graph, part[0], part).map((f) => relative(ROOT, f)).join(' → ')}`);
    console.log(`  all: ${part.map((f) => relative(ROOT, f)).join(', ')}`);
  }
  process.exitCode = found.length > 0 ? 1 : 0;
}
