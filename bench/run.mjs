#!/usr/bin/env node
// npm run bench [-- dir]: sk-scan's speed against ripgrep with the same patterns.
//
// dir: builds (once, cached under $SK_SCAN_BENCH_DIR or /tmp/sk-scan-bench) a tree
// of real source: this project's node_modules copied until the tree holds at
// least 300 MB in 30,000+ files, with a few fake keys planted. Then hyperfine
// times `sk-scan dir` and `rg` over it, warm cache, and prints the ratio.
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
