/**
 * The anchor probe a source may be handed (sources/types.ts `AnchorProbe`):
 * whether content holds anything the detector would look at, asked of the
 * whole or only of the ranges a delta made new. A source that reads git's
 * object store itself uses it to pass over the versions of a file whose
 * changes cannot hold a key, without sending their bytes to detection.
 *
 * Why asking the new ranges is enough: everything `scan` finds starts from
 * evidence in a few bytes (a whole keyword, an encoded form of one, which
 * may cross a line break, a payload's start) that `Detector.mayFind` looks
 * for. Evidence that touches none of the new ranges lies inside one range
 * copied whole from the base, so the base holds it too; a caller asks only
 * when the base holds none. Evidence touching a range lies within `reach`
 * bytes of it; each range is asked with whole lines around it, one more on
 * each side (wrapped base64 is told by the widths of the lines around), so a
 * run is never cut where the whole content would not cut it.
 */
import type { AnchorProbe } from '../sources/types.js';
import type { Detector } from './engine.js';

const NL = 0x0a;

export function anchorProbe(detector: Detector): AnchorProbe {
  const reach = detector.reach;
  return {
    any: (bytes) => detector.mayFind(bytes),
    near(bytes, fresh) {
      let from = -1;
      let to = -1;
      const ask = () => from !== -1 && detector.mayFind(bytes.subarray(from, to));
      for (let i = 0; i < fresh.length; i += 2) {
        const start = lineStart(bytes, lineStart(bytes, Math.max(0, (fresh[i] as number) - reach)) - 1);
        const end = lineEnd(bytes, lineEnd(bytes, Math.min(bytes.length, (fresh[i + 1] as number) + reach)));
        // Ranges that meet are asked as one.
        if (from !== -1 && start <= to) to = Math.max(to, end);
        else {
          if (ask()) return true;
          [from, to] = [start, end];
        }
      }
      return ask();
    },
  };
}

/** Where the line holding `at` starts (0 before the first). */
function lineStart(bytes: Buffer, at: number): number {
  if (at <= 0) return 0;
  return bytes.lastIndexOf(NL, at - 1) + 1;
}

/** Where the line holding `at` ends, its line break included (the end of `bytes` past the last). */
function lineEnd(bytes: Buffer, at: number): number {
  if (at >= bytes.length) return bytes.length;
  const nl = bytes.indexOf(NL, at);
  return nl === -1 ? bytes.length : nl + 1;
}
