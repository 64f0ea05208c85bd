/**
 * ESLint rule `sk-scan/no-import-cycles`: no module under src/ may import one
 * that leads back to it, type imports included. The graph is src/'s whole
 * import graph (import-graph.mjs), built once per lint run; an import that
 * closes a loop is reported with the loop it closes.
 */
import { dirname, relative, resolve } from 'node:path';
import { importGraph, loopThrough, loops } from './import-graph.mjs';

let cached = null;
/** The loops of src/'s graph, as a map from each module in one to the modules of its loop. */
function loopOf() {
  if (cached !== null) return cached;
  const graph = importGraph();
  const byModule = new Map();
  for (const part of loops(graph)) for (const m of part) byModule.set(m, part);
  cached = { graph, byModule };
  return cached;
}

export const noImportCycles = {
  meta: { type: 'problem', docs: { description: 'no import loops between modules, type imports included' }, schema: [] },
  create(context) {
    const file = context.filename;
    const { graph, byModule } = loopOf();
    const part = byModule.get(file);
    if (part === undefined) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!part.includes(target)) return;
      const root = resolve(dirname(file), '..');
      const loop = loopThrough(graph, target, part).map((m) => relative(root, m));
      context.report({ node, message: `this import closes a loop: ${loop.join(' → ')}. Move what both need into a module that imports neither.` });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { 'no-import-cycles': noImportCycles } };
