#!/usr/bin/env node
// npm run bench [-- dir]: sk-scan's speed against ripgrep with the same patterns.
//
// dir: builds (once, cached under $SK_SCAN_BENCH_DIR or /tmp/sk-scan-bench) a tree
// of real source: this project's node_modules copied until the tree holds at
// least 300 MB in 30,000+ files, with a few fake keys planted. Then hyperfine
// times `sk-scan dir` and `rg` over it, warm cache, and prints the ratio.
// history: a generated repository of 5,200+ commits of real source text
// (bench/make-history.mjs), scanned whole by `sk-scan git`, timed against
// (a) `git log -p --all | rg`, the diff walk other scanners make, and
// (b) the floor: every blob through one `git cat-file --batch` into `rg -a`.
//
// hook: a repository of 5,000 tracked files with a 5-file staged change;
// `sk-scan staged` timed against a bare `node -e 0`.
//
// Needs ripgrep and hyperfine (apt-get install ripgrep hyperfine).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const WORK = process.env.SK_SCAN_BENCH_DIR ?? '/tmp/sk-scan-bench';
const only = process.argv[2];

for (const tool of ['rg', 'hyperfine']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    console.error(`bench: ${tool} is not installed (apt-get install -y ripgrep hyperfine)`);
    process.exit(2);
  }
}

// The rules' patterns as ripgrep's engine takes them (it has no look-around;
// the boundaries sk-scan checks only make sk-scan's job harder).
const RG_PATTERNS = [
  'sk_live_(?:[a-z][a-z0-9]{1,15}_)?[A-Za-z0-9]{16,256}',
  'sk_test_(?:[a-z][a-z0-9]{1,15}_)?[A-Za-z0-9]{16,256}',
  '(?i)[A-Za-z0-9_]*web_?hook_?(?:signing_?)?secret(?:_?key)?(?:\\\\?["\'])?\\s*(?::=|=>|=|:)\\s*(?:\\\\?["\'`])?[A-Za-z0-9+/=_-]{16,256}',
];

function du(dir) {
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

function buildTree() {
  const tree = join(WORK, 'tree');
  const stamp = join(WORK, 'tree.json');
  if (existsSync(stamp)) return { tree, ...JSON.parse(readFileSync(stamp, 'utf8')) };
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  execFileSync('git', ['init', '-q', tree]);
  const source = join(ROOT, 'node_modules');
  let copies = 0;
  let size = { files: 0, bytes: 0 };
  while (size.bytes < 300e6 || size.files < 30_000) {
    // Named copy-N, not node_modules, so both tools read it.
    cpSync(source, join(tree, `copy-${copies}`), { recursive: true, dereference: false, verbatimSymlinks: true });
    copies++;
    size = du(tree);
  }
  const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = 7;
  const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const key = (mode) => `sk_${mode}_${Array.from({ length: 32 }, () => B62[Math.floor(rnd() * 62)]).join('')}`;
  for (let i = 0; i < copies; i++) {
    writeFileSync(join(tree, `copy-${i}`, 'planted.env'), `CHATBOT_API_KEY=${key('live')}\nCHATBOT_TEST_KEY=${key('test')}\n`);
  }
  size = du(tree);
  const info = { copies, ...size };
  writeFileSync(stamp, JSON.stringify(info));
  return { tree, ...info };
}

function hyperfine(commands, runs = 5) {
  const out = join(WORK, 'hyperfine.json');
  const args = ['-N', '-i', '-w', '2', '-r', String(runs), '--export-json', out];
  for (const [name, cmd] of Object.entries(commands)) args.push('-n', name, cmd);
  const r = spawnSync('hyperfine', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('hyperfine failed');
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  return Object.fromEntries(results.map((x) => [x.command, x]));
}

function peakRss(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', `${cmd} >/dev/null 2>/dev/null`], { encoding: 'utf8' });
  return Number(r.stderr.trim().split('\n').pop()) * 1024;
}

const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;

if (!only || only === 'dir') {
  mkdirSync(WORK, { recursive: true });
  const { tree, files, bytes, copies } = buildTree();
  console.log(`\n## dir: ${files} files, ${mb(bytes)} (${copies} copies of node_modules), warm cache\n`);
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const rg = `rg --hidden --no-messages -c ${RG_PATTERNS.map((p) => `-e ${q(p)}`).join(' ')} ${tree}`;
  const sk = `${process.execPath} ${CLI} dir ${tree} --format json --output /dev/null`;
  const r = hyperfine({ 'sk-scan dir': sk, ripgrep: rg });
  const ratio = r['sk-scan dir'].mean / r.ripgrep.mean;
  const found = JSON.parse(execFileSync('sh', ['-c', `${process.execPath} ${CLI} dir ${tree} --format json || true`], { maxBuffer: 1 << 28 }).toString());
  console.log(`\nsk-scan dir: ${r['sk-scan dir'].mean.toFixed(3)} s, ripgrep: ${r.ripgrep.mean.toFixed(3)} s`);
  console.log(`ratio sk-scan/ripgrep: ${ratio.toFixed(2)}x (goal: at most 3x)`);
  console.log(`sk-scan read ${found.stats.files} files, ${mb(found.stats.bytes)}; findings: ${found.findings.length} (planted: ${copies * 2})`);
  console.log(`peak RSS: sk-scan ${mb(peakRss(sk))}, ripgrep ${mb(peakRss(rg))}`);
}

function peakRssOf(cmd) {
  return mb(peakRss(cmd));
}

if (!only || only === 'history') {
  mkdirSync(WORK, { recursive: true });
  const repo = join(WORK, 'history.git');
  if (!existsSync(join(repo, 'HEAD'))) {
    rmSync(repo, { recursive: true, force: true });
    execFileSync(process.execPath, [join(ROOT, 'bench', 'make-history.mjs'), repo], { stdio: 'inherit' });
  }
  const count = (args) => execFileSync('git', args, { cwd: repo }).toString().trim();
  const commits = count(['rev-list', '--all', '--count']);
  const objects = count(['count-objects', '-v']).match(/in-pack: (\d+)/)?.[1];
  console.log(`\n## history: generated repository, ${commits} commits, ${objects} objects (bench/make-history.mjs), warm cache\n`);
  const pattern = `'${RG_PATTERNS.slice(0, 2).join('|')}'`;
  const diffWalk = `sh -c "git -C ${repo} log -p --all | rg -c ${pattern} >/dev/null"`;
  const floor = `sh -c "git -C ${repo} cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' --unordered | awk '\\$2==\\"blob\\"{print \\$1}' | git -C ${repo} cat-file --batch | rg -a -c ${pattern} >/dev/null"`;
  const sk = `${process.execPath} ${CLI} git ${repo} --format json --output /dev/null`;
  const r = hyperfine({ 'sk-scan git': sk, 'git log -p | rg': diffWalk, 'cat-file | rg (floor)': floor });
  const t = (k) => r[k].mean;
  const report = JSON.parse(execFileSync('sh', ['-c', `${process.execPath} ${CLI} git ${repo} --format json || true`], { maxBuffer: 1 << 28 }).toString());
  console.log(`\nsk-scan git ${t('sk-scan git').toFixed(3)} s · git log -p | rg ${t('git log -p | rg').toFixed(3)} s · floor ${t('cat-file | rg (floor)').toFixed(3)} s`);
  console.log(`speed-up over the diff walk: ${(t('git log -p | rg') / t('sk-scan git')).toFixed(2)}x (goal: at least 2.5x)`);
  console.log(`ratio to the floor: ${(t('sk-scan git') / t('cat-file | rg (floor)')).toFixed(2)}x (goal: at most 1.5x)`);
  console.log(`objects read: ${report.stats.files}, ${mb(report.stats.bytes)}; findings: ${report.findings.length} (3 planted)`);
  console.log(`peak RSS: sk-scan ${peakRssOf(sk)}`);
}

if (!only || only === 'hook') {
  mkdirSync(WORK, { recursive: true });
  const repo = join(WORK, 'hook-repo');
  if (!existsSync(join(repo, '.git'))) {
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(repo, { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    // 5,000 real source files from node_modules.
    let n = 0;
    const walk = (d, rel) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (n >= 5000) return;
        if (e.isDirectory()) walk(join(d, e.name), join(rel, e.name));
        else if (e.isFile() && /\.(js|ts|json|md)$/.test(e.name)) {
          mkdirSync(join(repo, rel), { recursive: true });
          cpSync(join(d, e.name), join(repo, rel, e.name));
          n++;
        }
      }
    };
    walk(join(ROOT, 'node_modules'), 'src');
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.test', 'commit', '-qm', 'import'], { cwd: repo });
  }
  // A 5-file staged change.
  const tracked = execFileSync('git', ['ls-files'], { cwd: repo }).toString().trim().split('\n');
  execFileSync('git', ['reset', '-q', '--hard'], { cwd: repo });
  for (const f of tracked.slice(100, 105)) writeFileSync(join(repo, f), readFileSync(join(repo, f), 'utf8') + '\n// edited for the bench\n');
  execFileSync('git', ['add', '-A'], { cwd: repo });
  console.log(`\n## hook: ${tracked.length} tracked files, 5 files staged\n`);
  const r = hyperfine({ 'sk-scan staged': `sh -c "cd ${repo} && ${process.execPath} ${CLI} staged"`, 'node -e 0': `sh -c "cd ${repo} && ${process.execPath} -e 0"` }, 20);
  const ratio = r['sk-scan staged'].mean / r['node -e 0'].mean;
  console.log(`\nsk-scan staged ${(r['sk-scan staged'].mean * 1000).toFixed(0)} ms, node -e 0 ${(r['node -e 0'].mean * 1000).toFixed(0)} ms: ${ratio.toFixed(2)}x (goal: at most 2.5x)`);
  execFileSync('git', ['reset', '-q', '--hard'], { cwd: repo });
}
