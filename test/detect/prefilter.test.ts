/** The keyword prefilter's one pass: the same places as a search per anchor, wherever they fall. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Prefilter } from '../../src/detect/prefilter.js';
import { PREFILTER_WASM } from '../../src/detect/prefilter-wasm.js';
import { assemble } from '../../scripts/wasm.mjs';
import { rng } from '../helpers/keys.js';

const bytes = (...anchors: string[]) => anchors.map((a) => Buffer.from(a, 'latin1'));

/** Both ways of finding, which must agree; the SIMD one must be the one that runs on Node 20. */
function both(anchors: Buffer[]) {
  const simd = new Prefilter(anchors);
  const plain = new Prefilter(anchors, { simd: false });
  expect(simd.simd).toBe(true);
  expect(plain.simd).toBe(false);
  return (buf: Buffer) => {
    const got = simd.find(buf);
    expect(got).toEqual(plain.find(buf));
    return got;
  };
}

/** Text of common letters with `anchors` planted at random places, some overlapping. */
function planted(next: () => number, length: number, anchors: Buffer[], count: number): Buffer {
  const alphabet = Buffer.from(' etnroiasl\ncdpumf_h.g()y,"/*=;bk:vw-TSEWHOKN7365%\\u0x2c');
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = alphabet[Math.floor(next() * alphabet.length)] as number;
  for (let k = 0; k < count; k++) {
    const a = anchors[Math.floor(next() * anchors.length)] as Buffer;
    a.copy(buf, Math.floor(next() * Math.max(1, length - a.length + 1)));
  }
  return buf;
}

describe('the keyword prefilter', () => {
  // The engine's anchors today: the rules' (k_, web, Webhoo, HOOK, Hook) and the decoders' (base64, Secret, hex, escapes).
  const engine = bytes('k_', 'web', 'Webhoo', 'HOOK', 'Hook', 'c2t', 'NrX', 'a19', 'Secret', '736', '%5', '\\u005');

  it('finds every place each anchor starts, overlapping ones too, with more anchors than buckets', () => {
    const find = both(engine);
    const next = rng(7);
    for (let round = 0; round < 40; round++) find(planted(next, 1 + Math.floor(next() * 3000), engine, Math.floor(next() * 30)));
    expect(find(Buffer.from('k_k_k_ Secret736b5f %5F \\u005f'))?.[0]).toEqual([0, 2, 4]);
  });

  it('finds anchors of one and two bytes, at the very start and the very end of a buffer', () => {
    const find = both(bytes('q', '_x', 'zz'));
    expect(find(Buffer.from('q_xzz'))).toEqual([[0], [1], [3]]);
    expect(find(Buffer.from('aaaq'))).toEqual([[3], undefined, undefined]);
    expect(find(Buffer.from('aaazz'))).toEqual([undefined, undefined, [3]]);
    expect(find(Buffer.from('nothing here'))).toBeNull();
    expect(find(Buffer.alloc(0))).toBeNull();
  });

  it('finds an anchor that straddles the pieces a large buffer is searched in', () => {
    const find = both(engine);
    const piece = 256 * 1024;
    const base = planted(rng(11), 2 * piece + 100, [], 0);
    // Starting 1 to 6 bytes before a piece's end: the first three bytes (what the loop looks at) or the rest across it.
    for (let back = 1; back <= 6; back++) {
      const buf = Buffer.from(base);
      Buffer.from('Secret').copy(buf, piece - back);
      Buffer.from('\\u005').copy(buf, 2 * piece - back);
      const hits = find(buf);
      expect(hits?.[8]).toContain(piece - back);
      expect(hits?.[11]).toContain(2 * piece - back);
    }
  });

  it('keeps every place in a buffer made of nothing but anchors (more places than one call returns)', () => {
    const find = both(bytes('k_', 'ab'));
    const hits = find(Buffer.from('k_'.repeat(50_000)));
    expect(hits?.[0]).toHaveLength(50_000);
    expect(hits?.[0]?.[49_999]).toBe(99_998);
  });

  it('uses buckets worked out before only when they place every anchor once, and finds the same either way', () => {
    const planned = new Prefilter(engine).plan;
    const next = rng(11);
    const texts = Array.from({ length: 20 }, () => planted(next, 2000, engine, 20));
    const reference = new Prefilter(engine, { simd: false });
    const fromPlan = new Prefilter(engine, { buckets: planned });
    expect(fromPlan.plan).toEqual(planned);
    // A plan that loses an anchor, or places one twice, is not taken: the anchors are placed afresh.
    const losing = new Prefilter(engine, { buckets: planned.map((b) => b.filter((i) => i !== 0)) });
    const twice = new Prefilter(engine, { buckets: [[0], ...planned] });
    expect(losing.plan).toEqual(planned);
    expect(twice.plan).toEqual(planned);
    for (const text of texts) for (const p of [fromPlan, losing, twice]) expect(p.find(text)).toEqual(reference.find(text));
  });

  it('refuses an empty anchor, which would be found everywhere', () => {
    expect(() => new Prefilter(bytes('k_', ''))).toThrow(/empty/);
  });

  it('runs the module assembled from prefilter.wat, byte for byte', async () => {
    const wat = readFileSync(new URL('../../src/detect/prefilter.wat', import.meta.url), 'utf8');
    expect(Buffer.from(await assemble(wat)).toString('base64')).toBe(PREFILTER_WASM);
  });
});
