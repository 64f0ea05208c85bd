/**
 * The prefilter's plan for the built-in rules (its buckets, and where each
 * anchor's fingerprint starts), worked out by the build
 * (scripts/build-rules.mjs writes dist/prefilter-buckets.json): choosing them
 * takes some milliseconds of a cold start, which every pre-commit hook run and
 * every worker thread would pay. Keyed by the exact anchors; any other set of
 * rules (a config's own, a disabled rule) works its buckets out at start. A
 * plan that does not place every anchor once is ignored (prefilter.ts).
 */
import { readFileSync } from 'node:fs';
import { FROM_SOURCE, packageFile } from '../common/package-root.js';
import type { PrefilterPlan } from './prefilter.js';

let known: Map<string, PrefilterPlan> | null = null;

/** The key of a list of anchors: each in hex, in order. */
export function anchorsKey(anchors: readonly Uint8Array[]): string {
  return anchors.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')).join(',');
}

/** The plan the build worked out for exactly these anchors, if it did. */
export function knownPlan(anchors: readonly Uint8Array[]): PrefilterPlan | undefined {
  if (FROM_SOURCE) return undefined;
  known ??= load();
  return known.get(anchorsKey(anchors));
}

function load(): Map<string, PrefilterPlan> {
  try {
    const entries = JSON.parse(readFileSync(packageFile('dist', 'prefilter-buckets.json'), 'utf8')) as ({ anchors: string } & PrefilterPlan)[];
    return new Map(entries.map((e) => [e.anchors, { buckets: e.buckets, fingerprints: e.fingerprints }]));
  } catch {
    return new Map();
  }
}
