/**
 * Archives built in memory for tests, byte by byte as the formats define
 * them, so a test can also build what no archiver would write: a zip whose
 * directory lies about sizes, a member whose data is damaged.
 */
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface ZipMember {
  name: string;
  data: string | Buffer;
  /** 0 stored, 8 deflated (the default). */
  method?: 0 | 8;
  /** The uncompressed size the directory states, if not the true one (a zip bomb lies). */
  statedSize?: number;
  /** Replace the stored data with this (a damaged member). */
  rawData?: Buffer;
}

export function zip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const data = Buffer.from(m.data);
    const method = m.method ?? 8;
    const stored = m.rawData ?? (method === 8 ? deflateRawSync(data) : data);
    const name = Buffer.from(m.name);
    const size = m.statedSize ?? data.length;
    // The local header and the directory entry share their fields from `version needed` on, 2 bytes further in the latter.
    const shared = (buf: Buffer, at: number) => {
      buf.writeUInt16LE(20, at);
      buf.writeUInt16LE(0x800, at + 2);
      buf.writeUInt16LE(method, at + 4);
      buf.writeUInt32LE(crc32(data), at + 10);
      buf.writeUInt32LE(stored.length, at + 14);
      buf.writeUInt32LE(size, at + 18);
      buf.writeUInt16LE(name.length, at + 22);
      return buf;
    };
    const local = shared(Buffer.alloc(30), 4);
    local.writeUInt32LE(0x04034b50, 0);
    const dir = shared(Buffer.alloc(46), 6);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    central.push(dir, name);
    offset += local.length + name.length + stored.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

/** A ustar archive of regular files (and `.wh.` whiteouts, which are files too). */
export function tar(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const head = Buffer.alloc(512);
    head.write(name, 0, 100, 'utf8');
    head.write('0000644\0', 100);
    head.write('0000000\0', 108);
    head.write('0000000\0', 116);
    head.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    head.write('00000000000\0', 136);
    head.write('        ', 148);
    head.write('0', 156);
    head.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of head) sum += b;
    head.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(head, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const gzip = (data: Buffer): Buffer => gzipSync(data);
