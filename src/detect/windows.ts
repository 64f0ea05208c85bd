/**
 * The windows a rule's regex searches: each keyword window stretched so that
 * it never cuts a token in two, merged with its neighbours. The window bounds
 * the cost of any regex, however badly written.
 */
import type { KeywordWindows } from './anchors.js';

/** How far a window may be stretched to avoid cutting a token. */
const MAX_STRETCH = 4096;

/** Bytes that can sit inside a token: a window edge never falls between two of them. */
const TOKEN = new Uint8Array(256);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.%\\') {
  TOKEN[ch.charCodeAt(0)] = 1;
}

/**
 * Sorted, disjoint [start, end) windows for one rule. Each merged window is
 * stretched once (so that it never cuts a token in two), never back past the
 * window before it: input made of nothing but keywords costs time in
 * proportion to its size, not to its size times the stretch.
 */
export function windows(buf: Buffer, lists: KeywordWindows[], stretch: { steps: number }): [number, number][] {
  const raw: [number, number][] = [];
  for (const list of lists) for (let i = 0; i < list.length; i += 2) raw.push([list[i] as number, list[i + 1] as number]);
  // Several keywords' windows interleave; one keyword's are already in order and apart.
  if (lists.length > 1) raw.sort((a, b) => a[0] - b[0]);
  const forward = (at: number) => {
    const to = stretchForward(buf, at);
    stretch.steps += to - at;
    return to;
  };
  const out: [number, number][] = [];
  for (const [start, end] of raw) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) {
      last[1] = Math.max(last[1], forward(Math.max(end, last[1])));
      continue;
    }
    const from = stretchBack(buf, start, last ? last[1] : 0);
    stretch.steps += start - from;
    if (last && from <= last[1]) last[1] = Math.max(last[1], forward(end));
    else out.push([from, forward(end)]);
  }
  return out;
}

function stretchBack(buf: Buffer, at: number, floor: number): number {
  const limit = Math.max(floor, at - MAX_STRETCH);
  while (at > limit && TOKEN[buf[at - 1] ?? 0]) at--;
  return at;
}

function stretchForward(buf: Buffer, at: number): number {
  const ceil = Math.min(buf.length, at + MAX_STRETCH);
  while (at < ceil && TOKEN[buf[at] ?? 0]) at++;
  return at;
}
