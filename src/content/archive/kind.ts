/**
 * Whether bytes are an archive, by their first bytes: the check every binary
 * item gets. It stands alone so that a scan that meets no archive never loads
 * the archive readers.
 */
export type ArchiveKind = 'zip' | 'gzip' | 'tar';

export function archiveKind(bytes: Uint8Array): ArchiveKind | null {
  if (looksLikeZip(bytes)) return 'zip';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8) return 'gzip';
  if (looksLikeTar(bytes)) return 'tar';
  return null;
}

/** Whether these bytes start like a zip (jar, war, whl, nupkg, apk and ipa are zips too). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

const BLOCK = 512;

/** Whether these bytes start like a tar archive: `ustar` at 257, and a header whose checksum holds. */
export function looksLikeTar(bytes: Uint8Array): boolean {
  if (bytes.length < BLOCK) return false;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, BLOCK);
  return head.toString('latin1', 257, 262) === 'ustar' && tarChecksumOk(head);
}

/** A tar header's checksum: the sum of its bytes, the checksum field counted as spaces. */
export function tarChecksumOk(block: Buffer): boolean {
  const end = block.indexOf(0, 148);
  const stored = parseInt(block.toString('latin1', 148, end === -1 || end > 156 ? 156 : end).trim() || 'x', 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  return sum === stored;
}
