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
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x800, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt32LE(crc32(data), 16);
    dir.writeUInt32LE(stored.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
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
