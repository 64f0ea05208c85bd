/**
 * Keys in binary records, glued to their neighbours: a SQLite row (columns
 * with no separator) and Python bytecode (a length byte that is a letter or
 * digit), both made by Python itself. Never a wrong key: the whole key, where
 * the format records its length, or one marked as possibly not whole.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeKey, randomBody, rng } from '../helpers/keys.js';
import { runCli, tempDir, writeTree } from '../helpers/run.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface Found {
  path: string;
  secret: { sha256: string; partial?: true; encoding?: string };
}

function scan(dir: string): Found[] {
  const r = runCli(['dir', dir, '--format', 'json']);
  return (JSON.parse(r.stdout) as { findings: Found[] }).findings;
}

describe('keys in binary records', () => {
  it('in a SQLite row, glued on the left to the previous column and on the right to the next, is the whole key and no more', () => {
    const dir = tempDir();
    const key = fakeKey('live');
    const other = fakeKey('live', 'prod');
    // Python's own sqlite3: columns are stored with no separator between them.
    execFileSync('python3', ['-c', `import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("create table cfg(name text, value text, year text)")
db.execute("insert into cfg values (?, ?, ?)", ("chatbot_api_key", sys.argv[2], "2025"))
db.execute("insert into cfg values (?, ?, ?)", ("prod", sys.argv[3], "zvyj"))
db.commit()`, join(dir, 'app.db'), key, other]);
    const found = scan(dir).filter((f) => f.path === 'app.db');
    expect(found.map((f) => [f.secret.sha256, f.secret.partial]).sort()).toEqual([[sha(key), undefined], [sha(other), undefined]].sort());
  });

  it('in Python bytecode, whose length byte before the string is a letter or digit at these lengths, is found whole', () => {
    const dir = tempDir();
    // Total lengths 48-57, 65-90 and 97-122 put a digit, an upper-case or a lower-case letter before the key.
    const keys = [40, 49, 57, 82, 89, 114].map((body) => fakeKey('live', undefined, body));
    keys.forEach((key, i) => writeTree(dir, { [`m${i}.py`]: `API_KEY = "${key}"\nNEXT = None\nZ = 1\n` }));
    execFileSync('python3', ['-c', 'import py_compile, sys\nfor p in sys.argv[1:]: py_compile.compile(p, cfile=p + "c", doraise=True)', ...keys.map((_, i) => join(dir, `m${i}.py`))]);
    for (const [i] of keys.entries()) execFileSync('rm', [join(dir, `m${i}.py`)]);
    const found = scan(dir);
    expect(found.map((f) => [f.path, f.secret.sha256, f.secret.partial])).toEqual(keys.map((key, i) => [`m${i}.pyc`, sha(key), undefined]));
  });

  it('is the whole key among lines of text in other binary content, where letters before it would read as a record length', () => {
    const dir = tempDir();
    const next = rng(11);
    const keys = Array.from({ length: 20 }, () => fakeKey('live'));
    // Text fields with NULs between: letters before a key add up as a SQLite header, or put a 'z' two bytes before it.
    const fields = keys.flatMap((key) => [randomBody(next, 60), `z${randomBody(next, 1)}`, key]);
    writeTree(dir, { 'data.bin': Buffer.from(`\0\0\u0001BIN${fields.join('\0')}\0`) });
    expect(scan(dir).map((f) => [f.secret.sha256, f.secret.partial])).toEqual(keys.map((key) => [sha(key), undefined]));
  });

  it('says a key may not be whole where nothing in the record shows where it ends', () => {
    const dir = tempDir();
    const key = fakeKey('live');
    writeTree(dir, { 'blob.bin': Buffer.concat([Buffer.from([0, 1, 2, 0x97]), Buffer.from(`${key}`), Buffer.from([0x01, 0xff, 0])]) });
    const found = scan(dir);
    expect(found.map((f) => [f.secret.sha256, f.secret.partial])).toEqual([[sha(key), true]]);
  });
});
