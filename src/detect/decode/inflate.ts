/**
 * Inflating what a decoder finds compressed (base64 of gzip or zlib, PDF
 * streams), within two budgets: one payload's, and one buffer's. A payload
 * that would go past either is not searched, and says so: the item is then
 * not wholly read, and a scan that finds nothing cannot vouch for it (exit 2,
 * unless the user accepts it by name).
 */
import { constants, gunzipSync, inflateSync } from 'node:zlib';
import { formatBytes } from '../../common/text.js';

/** The most inflated from one payload, and from all of one buffer's. */
export const MAX_INFLATED = 16 << 20;
export const MAX_TOTAL = 64 << 20;

/** Where a payload starts in the searched buffer, and why it was not searched. */
export type NotRead = (at: number, message: string) => void;

/** What one buffer may still inflate. */
export class InflateBudget {
  private left = MAX_TOTAL;

  /**
   * `data` inflated; null when it is not compressed data after all (a run that
   * only starts like a header, a damaged stream). `what` names the payload in
   * a message (`a base64/gzip payload`).
   */
  inflate(data: Buffer, how: 'gunzip' | 'inflate', what: string, at: number, notRead: NotRead): Buffer | null {
    if (this.left <= 0) {
      notRead(at, `${what} not inflated: what this file's payloads inflate to reached ${formatBytes(MAX_TOTAL)}, the most sk-scan inflates of one file`);
      return null;
    }
    const limit = Math.min(MAX_INFLATED, this.left);
    const options = { maxOutputLength: limit, finishFlush: constants.Z_SYNC_FLUSH };
    try {
      const bytes = how === 'gunzip' ? gunzipSync(data, options) : inflateSync(data, options);
      this.left -= bytes.length;
      return bytes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') return null;
      this.left -= limit;
      notRead(
        at,
        limit === MAX_INFLATED
          ? `${what} inflates to more than ${formatBytes(MAX_INFLATED)}, the most sk-scan inflates of one: not searched`
          : `${what} inflates past what is left of the ${formatBytes(MAX_TOTAL)} sk-scan inflates of one file: not searched`,
      );
      return null;
    }
  }
}
