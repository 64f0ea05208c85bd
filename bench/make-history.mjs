// Generates the history benchmark's repository: 5,200 commits of real source
// text (files taken from this project's node_modules), written with
// `git fast-import`. Development is imitated: most commits edit one to three
// files, some add, delete or rename files, and every 200 commits a branch of 10
// commits is merged. Fake keys are planted the ways keys really leak: added
// then removed, in a commit message, and on a branch. With --clean the same
// history is written with a harmless value where each key would be: the twin
// that measures a scan with nothing to attribute.
//
//   node bench/make-history.mjs DIR [--clean] [--commits N]   (default 5,200)
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: make-history.mjs DIR [--clean]');
const clean = process.argv.includes('--clean');
const ROOT = new URL('..', import.meta.url).pathname;
const commitsArg = process.argv.indexOf('--commits');
const COMMITS = commitsArg === -1 ? 5200 : Number(process.argv[commitsArg + 1]);

// Deterministic pseudo-random numbers.
let s = 12345;
const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Keys come from their own generator, so that the clean twin's history is otherwise identical.
let ks = 777;
const krnd = () => (ks = (ks * 48271) % 2147483647) / 2147483647;
const fakeKey = (mode) => (clean ? 'changeme' : `sk_${mode}_${Array.from({ length: 32 }, () => B62[Math.floor(krnd() * 62)]).join('')}`);

// A pool of real source files, 1-64 KB.
const pool = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(d, e.name);
    if (e.isDirectory() && e.name !== '.bin') walk(p);
    else if (e.isFile() && /\.(js|ts|mjs|cjs|md|json)$/.test(e.name)) {
      const size = statSync(p).size;
      if (size > 1024 && size < 65536) pool.push(p);
    }
  }
};
walk(join(ROOT, 'node_modules'));
const text = (p) => readFileSync(p, 'utf8');

execFileSync('git', ['init', '-q', '--bare', dir]);
const fi = spawn('git', ['fast-import', '--quiet'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
const out = [];
const emit = (s) => out.push(s);
const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;

const files = new Map(); // path -> content
let mark = 0;
let time = 1_600_000_000;
let poolAt = 0;
const nextSource = () => pool[poolAt++ % pool.length];
const pathFor = (src) => relative(join(ROOT, 'node_modules'), src);

function commit(branch, message, changes, from, merge) {
  mark++;
  time += 600;
  emit(`commit refs/heads/${branch}\nmark :${mark}\n`);
  emit(`author Dev <dev@example.test> ${time} +0000\ncommitter Dev <dev@example.test> ${time} +0000\n`);
  emit(data(message));
  if (from) emit(`from ${from}\n`);
  if (merge) emit(`merge ${merge}\n`);
  for (const c of changes) {
    if (c.delete) emit(`D ${c.path}\n`);
    else emit(`M 100644 inline ${c.path}\n${data(c.content)}`);
  }
  emit('\n');
  return `:${mark}`;
}

function edit(path) {
  const lines = files.get(path).split('\n');
  const at = Math.floor(rnd() * lines.length);
  const donor = text(pick(pool)).split('\n');
  lines.splice(at, Math.floor(rnd() * 3), ...donor.slice(0, 1 + Math.floor(rnd() * 4)));
  const content = lines.join('\n');
  files.set(path, content);
  return { path, content };
}

// The first commit: 800 files.
const initial = [];
for (let i = 0; i < 800; i++) {
  const src = nextSource();
  const path = pathFor(src);
  files.set(path, text(src));
  initial.push({ path, content: files.get(path) });
}
let head = commit('main', 'initial import\n', initial);
const planted = [];

for (let n = 2; n <= COMMITS; n++) {
  const changes = [];
  const paths = [...files.keys()];
  const edits = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < edits; i++) changes.push(edit(pick(paths)));
  if (n % 4 === 0) {
    const src = nextSource();
    const path = pathFor(src);
    if (!files.has(path)) {
      files.set(path, text(src));
      changes.push({ path, content: files.get(path) });
    }
  }
  if (n % 50 === 0) {
    const victim = pick(paths);
    files.delete(victim);
    changes.push({ path: victim, delete: true });
  }
  if (n % 100 === 0) {
    const from = pick([...files.keys()]);
    const to = `renamed/${n}/${from.split('/').pop()}`;
    const content = files.get(from);
    files.delete(from);
    files.set(to, content);
    changes.push({ path: from, delete: true }, { path: to, content });
  }
  let message = `change ${n}\n`;
  if (n === 1000) {
    const key = fakeKey('live');
    planted.push(key);
    files.set('config/prod.env', `CHATBOT_API_KEY=${key}\n`);
    changes.push({ path: 'config/prod.env', content: files.get('config/prod.env') });
  }
  if (n === 1001) {
    files.delete('config/prod.env');
    changes.push({ path: 'config/prod.env', delete: true });
  }
  if (n === 3000) {
    const key = fakeKey('test');
    planted.push(key);
    message = `debug auth with ${key}\n`;
  }
  head = commit('main', message, changes, head);
  if (n % 200 === 0) {
    // A short-lived branch of 10 commits, then merged back.
    let b = head;
    const branchFiles = [];
    for (let k = 0; k < 10; k++) {
      const path = `feature/${n}/part-${k}.js`;
      const content = text(pick(pool));
      branchFiles.push({ path, content });
      b = commit(`feature-${n}`, `feature ${n} part ${k}\n`, [{ path, content }], k === 0 ? head : b);
    }
    for (const f of branchFiles) files.set(f.path, f.content);
    head = commit('main', `merge feature-${n}\n`, branchFiles, head, b);
  }
  // fast-import is fed as fast as it reads: a long history written at once would overrun the pipe.
  if (out.length > 2000 && !fi.stdin.write(out.splice(0).join(''))) await once(fi.stdin, 'drain');
}
// A key left on an unmerged branch.
const key = fakeKey('live');
planted.push(key);
commit('wip-unmerged', 'wip\n', [{ path: 'wip/secrets.env', content: `CHATBOT_API_KEY=${key}\n` }], head);
fi.stdin.end(out.join(''));
await new Promise((resolve, reject) => fi.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))));
// --aggressive for the standard size (as the bench has always measured it); a plain gc for larger ones, which it would take many minutes to repack.
execFileSync('git', ['gc', '-q', ...(COMMITS <= 5200 ? ['--aggressive'] : [])], { cwd: dir });
console.log(JSON.stringify({ planted: clean ? 0 : planted.length }));
