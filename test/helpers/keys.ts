/**
 * Fake keys for tests: random base62 bodies from a seeded generator, so every
 * run sees the same fakes. None of them was ever issued by the platform.
 */
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** mulberry32: small, seedable, good enough to make key-shaped noise. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBody(next: () => number, length = 32, alphabet = BASE62): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

let seed = 1;
/** A fresh fake key: `fakeKey('live')`, `fakeKey('live', 'prod')`, `fakeKey('test')`. */
export function fakeKey(mode: 'live' | 'test', env?: string, length = 32): string {
  return `sk_${mode}_${env ? `${env}_` : ''}${randomBody(rng(seed++ * 7919), length)}`;
}

export function fakeHex(length = 48): string {
  return randomBody(rng(seed++ * 104729), length, '0123456789abcdef');
}
