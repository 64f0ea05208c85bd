#!/usr/bin/env node
// npm run bench [-- dir|decode|history|store|cache|memory|server|hook]: sk-scan's speed against ripgrep and git's own plumbing.
//
// Commands are timed in interleaved rounds (each command once per round, in
// turn) and compared by their medians: on a shared machine whose speed drifts
// over minutes, timing one command's runs and then the other's skews the ratio.
//
// dir: builds (once, cached under $SK_SCAN_BENCH_DIR or /tmp/sk-scan-bench) a tree
// of real source: this project's node_modules copied until the tree holds at
// least 300 MB in 30,000+ files, with a few fake keys planted; `sk-scan dir`
// and `rg` over it, warm cache, and the ratio. Where SK_SCAN_GIT_GIT names a
// clone of git/git, the same on a tree of source code: eight copies of its
// checkout (38,700 files, 476 MB, most of them small).
// history: a generated repository of 5,200+ commits of real source text
// (bench/make-history.mjs), scanned whole by `sk-scan git`, timed against
// (a) `git log -p --all | rg`, the diff walk other scanners make, and
// (b) the floor: every blob through one `git cat-file --batch` into `rg -a`.
// With its planted keys (findings are placed in history, which costs a
// `git log --raw` walk) and as its clean twin (nothing to place: the usual CI
// run); then express.bundle, a real history, and the generated history ten
// times longer (against the floor only: its diff walk takes minutes a round).
//
// cache: a first audit (empty scan cache) against a second of the same
// repository (nothing new), on the generated history and express.bundle.
//
// memory: sk-scan's own peak RSS on the generated history and on one ten
// times longer (52,000 commits, generated once, about 2 minutes).
//
// decode: what decoding costs (base64, compressed, escaped, quoted-printable,
// PDF streams…): the dir tree scanned through the API with and without it
// (`decode: false`, an option for this measurement alone), the difference as a
// share of the scan without it.
//
// store: the whole-history read from the object store itself against the read through
// `git cat-file` (the API's readObjects: 'git'), on express.bundle with keys planted where a
// delta-aware reader could lose them (an inserted line, a key made of copied and inserted
// bytes, one made by a deletion's seam), on the generated history, and on git/git where
// SK_SCAN_GIT_GIT names a clone of it: the two reports compared field for field (timings
// aside), each timed, and the floor.
//
// server: `sk-scan pre-receive` on a one-commit push to a bare copy of the
// hook's repository, against a bare `node -e 0`.
//
// hook: a repository of 5,000 tracked files with a 5-file staged change;
// `sk-scan staged` timed against a bare `node -e 0`.
//
// Needs ripgrep (apt-get install ripgrep).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist', 'bin', 'sk-scan.js');
const WORK = process.env.SK_SCAN_BENCH_DIR ?? '/tmp/sk-scan-bench';
const only = process.argv[2];

if (spawnSync('rg', ['--version']).status !== 0) {
  console.error('bench: ripgrep is not installed (apt-get install -y ripgrep)');
  process.exit(2);
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

/**
 * Each command (a shell line, run in WORK so that no project's config applies)
 * once per round, in turn, after one warm-up round; the median, fastest and
 * slowest wall time of each, in seconds.
 */
function race(commands, rounds = 7) {
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let round = -1; round < rounds; round++) {
    for (const [name, cmd] of Object.entries(commands)) {
      const started = process.hrtime.bigint();
      spawnSync('sh', ['-c', cmd], { cwd: WORK, stdio: 'ignore' });
      if (round >= 0) times[name].push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, t]) => {
      const sorted = [...t].sort((x, y) => x - y);
      return [name, { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] }];
    }),
  );
}

const secs = (r) => `${r.median.toFixed(3)} s (${r.min.toFixed(3)}–${r.max.toFixed(3)})`;

function peakRss(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', `${cmd} >/dev/null 2>/dev/null`], { encoding: 'utf8' });
  return Number(r.stderr.trim().split('\n').pop()) * 1024;
}

const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

if (!only || only === 'dir') {
  mkdirSync(WORK, { recursive: true });
  const { tree, files, bytes, copies } = buildTree();
  dirCase(`${files} files, ${mb(bytes)} (${copies} copies of node_modules)`, tree, files, copies * 2);
  // A tree of source code, many small files: eight copies of git/git's checkout (from the clone SK_SCAN_GIT_GIT names).
  const source = buildSourceTree();
  if (source) dirCase(`${source.files} files, ${mb(source.bytes)} (8 copies of git/git's checkout)`, source.tree, source.files, 0);
  else console.log('\n## dir: the tree of source code needs SK_SCAN_GIT_GIT (a clone of git/git), skipped');
}

function dirCase(label, tree, files, planted) {
  console.log(`\n## dir: ${label}, warm cache\n`);
  const rg = `rg --hidden --no-messages -c ${RG_PATTERNS.map((p) => `-e ${q(p)}`).join(' ')} ${tree} >/dev/null`;
  const sk = `${process.execPath} ${CLI} dir ${tree} --format json --output /dev/null`;
  const r = race({ sk, rg }, 5);
  const found = JSON.parse(execFileSync('sh', ['-c', `${process.execPath} ${CLI} dir ${tree} --format json || true`], { maxBuffer: 1 << 28 }).toString());
  console.log(`sk-scan dir ${secs(r.sk)} · ripgrep ${secs(r.rg)}`);
  console.log(`ratio sk-scan/ripgrep: ${(r.sk.median / r.rg.median).toFixed(2)}x (goal: at most 1.5x)`);
  const { skipped } = found.stats;
  const accounted = found.stats.files + skipped.binary + skipped.tooLarge + skipped.unreadable + skipped.symlink;
  console.log(`sk-scan read ${found.stats.files} files, ${mb(found.stats.bytes)}; findings: ${found.findings.length} (planted: ${planted})`);
  // Every file of the tree is read or skipped with a count: a fast scan that loses files is not a result.
  if (accounted < files) console.log(`MISMATCH: the tree has ${files} files, sk-scan accounted for ${accounted}`);
  console.log(`peak RSS: sk-scan ${mb(peakRss(sk))}, ripgrep ${mb(peakRss(rg))}`);
}

/** Eight copies of git/git's checkout (git archive of its HEAD), in a repository of its own so that its .gitignore files apply, built once. */
function buildSourceTree() {
  const from = process.env.SK_SCAN_GIT_GIT;
  if (!from) return null;
  const tree = join(WORK, 'source-tree');
  const stamp = join(WORK, 'source-tree.json');
  if (!existsSync(stamp)) {
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(tree, { recursive: true });
    execFileSync('git', ['init', '-q', tree]);
    const archive = join(WORK, 'git-head.tar');
    execFileSync('sh', ['-c', `git -C ${q(from)} archive --format=tar HEAD > ${q(archive)}`]);
    for (let i = 0; i < 8; i++) {
      mkdirSync(join(tree, `copy-${i}`));
      execFileSync('tar', ['-xf', archive, '-C', join(tree, `copy-${i}`)]);
    }
    rmSync(archive);
    writeFileSync(stamp, JSON.stringify(du(tree)));
  }
  return { tree, ...JSON.parse(readFileSync(stamp, 'utf8')) };
}

if (!only || only === 'decode') {
  mkdirSync(WORK, { recursive: true });
  const { tree } = buildTree();
  const script = join(WORK, 'decode-scan.mjs');
  writeFileSync(script, `const { scanDir } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});\nconst report = await scanDir([process.argv[2]], { decode: process.argv[3] === 'on' });\nconsole.log(JSON.stringify({ files: report.stats.files, bytes: report.stats.bytes, findings: report.findings.length }));\n`);
  const scan = (decode) => `${process.execPath} ${script} ${tree} ${decode}`;
  // Each once, checked: a scan that failed would time as fast as nothing.
  const once = (decode) => JSON.parse(execFileSync('sh', ['-c', scan(decode)], { cwd: WORK }).toString());
  const [on, off] = [once('on'), once('off')];
  console.log(`\n## decode: the dir tree (${on.files} files, ${mb(on.bytes)} read) scanned with and without decoding\n`);
  console.log(`findings: ${on.findings} with decoding, ${off.findings} without`);
  const r = race({ decoding: scan('on'), plain: scan('off') }, 11);
  console.log(`with decoding ${secs(r.decoding)} · without ${secs(r.plain)}`);
  console.log(`decoding costs ${(((r.decoding.median - r.plain.median) / r.plain.median) * 100).toFixed(1)}% of the scan without it (goal: under 10%)`);
}

/** The generated history (bench/make-history.mjs), built once per version of the generator. */
function historyRepo(name, args) {
  const repo = join(WORK, name);
  if (!existsSync(join(repo, 'HEAD'))) {
    rmSync(repo, { recursive: true, force: true });
    execFileSync(process.execPath, [join(ROOT, 'bench', 'make-history.mjs'), repo, ...args], { stdio: 'inherit' });
  }
  return repo;
}

/** express.bundle (../shared/bench), a real history, as a mirror clone; null when the bundle is not there. */
function expressRepo() {
  const bundle = process.env.SK_SCAN_EXPRESS_BUNDLE ?? join(ROOT, '..', 'shared', 'bench', 'express.bundle');
  const repo = join(WORK, 'express.git');
  if (!existsSync(join(repo, 'HEAD'))) {
    if (!existsSync(bundle)) return null;
    execFileSync('git', ['clone', '-q', '--mirror', bundle, repo]);
  }
  return repo;
}

if (!only || only === 'history') {
  mkdirSync(WORK, { recursive: true });
  const count = (repo, args) => execFileSync('git', args, { cwd: repo }).toString().trim();
  const size = (repo) => `${count(repo, ['rev-list', '--all', '--count'])} commits, ${count(repo, ['count-objects', '-v']).match(/in-pack: (\d+)/)?.[1]} objects`;
  const pattern = q(RG_PATTERNS.slice(0, 2).join('|'));
  // The diff walk is timed where the goal names it (express.bundle) and on the generated twins; on the
  // ten-times history it would take minutes a round, and only the floor ratio is asked of it there.
  const cases = [
    ['generated history, with 3 planted keys', historyRepo('history-v2.git', []), { diffWalk: true, rounds: 7 }],
    ['generated history, its clean twin', historyRepo('history-v2-clean.git', ['--clean']), { diffWalk: true, rounds: 7 }],
    ['express.bundle (a real history)', expressRepo(), { diffWalk: true, rounds: 7 }],
    ['generated history ten times longer, with keys', historyRepo('history-x10.git', ['--commits', '52000']), { diffWalk: false, rounds: 3 }],
  ];
  console.log('\n## history: whole-history scans (bench/make-history.mjs and express.bundle), warm cache');
  for (const [label, repo, { diffWalk, rounds }] of cases) {
    if (repo === null) {
      console.log(`\n### ${label}: not found (set SK_SCAN_EXPRESS_BUNDLE), skipped`);
      continue;
    }
    // --no-cache: each round reads every object, as a first audit does (the cache has its own section).
    const sk = `${process.execPath} ${CLI} git ${repo} --no-cache --format json --output /dev/null`;
    const floor = `git -C ${repo} cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' --unordered | awk '$2=="blob"{print $1}' | git -C ${repo} cat-file --batch | rg -a -c ${pattern} >/dev/null`;
    const commands = diffWalk ? { sk, floor, diffWalk: `git -C ${repo} log -p --all | rg -c ${pattern} >/dev/null` } : { sk, floor };
    const r = race(commands, rounds);
    const report = JSON.parse(execFileSync('sh', ['-c', `${process.execPath} ${CLI} git ${repo} --no-cache --format json || true`], { cwd: WORK, maxBuffer: 1 << 28 }).toString());
    console.log(`\n### ${label}: ${size(repo)}`);
    console.log(`sk-scan git ${secs(r.sk)} · floor ${secs(r.floor)}${r.diffWalk ? ` · git log -p | rg ${secs(r.diffWalk)}` : ''}`);
    console.log(`ratio to the floor: ${(r.sk.median / r.floor.median).toFixed(2)}x (goal: at most 1.3x)`);
    if (r.diffWalk) console.log(`speed-up over the diff walk: ${(r.diffWalk.median / r.sk.median).toFixed(2)}x (goal: at least 2.5x on express.bundle)`);
    console.log(`objects read: ${report.stats.files}, ${mb(report.stats.bytes)}; findings: ${report.findings.length}`);
  }
}

if (!only || only === 'store') {
  mkdirSync(WORK, { recursive: true });
  const express = expressRepo();
  const cases = [
    ['express.bundle, keys planted in its files\' later versions', express && plantedExpress(express), 5],
    ['generated history, with 3 planted keys', historyRepo('history-v2.git', []), 5],
    ['generated history ten times longer', historyRepo('history-x10.git', ['--commits', '52000']), 3],
  ];
  if (process.env.SK_SCAN_GIT_GIT) cases.push(['git/git', process.env.SK_SCAN_GIT_GIT, 1]);
  const script = join(WORK, 'store-scan.mjs');
  writeFileSync(
    script,
    `const { scanGit } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});\n` +
      // The heap as the CLI sets it for a long history (pipeline/heap.ts): on git/git it moves the time by seconds.
      `const report = await scanGit([process.argv[2]], { noCache: true, noSubmodules: true, readObjects: process.argv[3], saveMemoryWhenLong: true });\n` +
      `const out = JSON.stringify(report, (k, v) => (k === 'durationMs' ? undefined : k === 'warnings' ? v.map((w) => w.replace(/blob [0-9a-f]{40,64}/g, 'blob …')) : v));\n` +
      `process.stdout.write(process.argv[4] === 'print' ? out : '');\n`,
  );
  console.log('\n## store: reading the object store itself against reading through git cat-file');
  const pattern = q(RG_PATTERNS.slice(0, 2).join('|'));
  for (const [label, repo, rounds] of cases) {
    if (!repo) {
      console.log(`\n### ${label}: not found, skipped`);
      continue;
    }
    const run = (how) => execFileSync(process.execPath, [script, repo, how, 'print'], { maxBuffer: 1 << 30 }).toString();
    const [store, git] = [run('store'), run('git')];
    const findings = JSON.parse(store).findings.length;
    const floor = `git -C ${repo} cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' --unordered | awk '$2=="blob"{print $1}' | git -C ${repo} cat-file --batch | rg -a -c ${pattern} >/dev/null`;
    const r = race({ store: `${process.execPath} ${script} ${repo} store`, git: `${process.execPath} ${script} ${repo} git`, floor }, rounds);
    console.log(`\n### ${label}`);
    console.log(`reports ${store === git ? 'the same' : 'DIFFERENT'} (${findings} findings) · store ${secs(r.store)} · through git ${secs(r.git)} · floor ${secs(r.floor)}`);
    console.log(`store/floor ${(r.store.median / r.floor.median).toFixed(2)}x · through git/floor ${(r.git.median / r.floor.median).toFixed(2)}x`);
  }
}

/**
 * A copy of express with keys planted in later versions of its own files:
 * a line inserted into a file's middle, a key too short to be one completed
 * by the next version (copied and inserted bytes), and one joined by a
 * deletion (a seam); repacked, so that the versions are deltas.
 */
function plantedExpress(express) {
  const repo = join(WORK, 'express-planted.git');
  if (existsSync(join(repo, 'HEAD'))) return repo;
  execFileSync('git', ['clone', '-q', '--bare', express, repo]);
  const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = 29;
  const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const body = (n) => Array.from({ length: n }, () => B62[Math.floor(rnd() * 62)]).join('');
  const files = execFileSync('git', ['ls-tree', '-r', '--name-only', 'HEAD', 'lib'], { cwd: repo }).toString().trim().split('\n').slice(0, 6);
  const read = (f) => execFileSync('git', ['show', `HEAD:${f}`], { cwd: repo }).toString().split('\n');
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo }).toString().trim();
  const commits = [];
  files.forEach((f, i) => {
    const lines = read(f);
    const key = `sk_live_${body(32)}`;
    const mid = Math.floor(lines.length / 2);
    if (i % 3 === 0) commits.push([f, [...lines.slice(0, mid), `// KEY=${key}`, ...lines.slice(mid)]]);
    if (i % 3 === 1) {
      commits.push([f, [...lines.slice(0, mid), `// token ${key.slice(0, 16)}`, ...lines.slice(mid)]]);
      commits.push([f, [...lines.slice(0, mid), `// token ${key}`, ...lines.slice(mid)]]);
    }
    if (i % 3 === 2) {
      const filler = body(300);
      commits.push([f, [...lines.slice(0, mid), `// ${key.slice(0, 5)}${filler}${key.slice(5)}`, ...lines.slice(mid)]]);
      commits.push([f, [...lines.slice(0, mid), `// ${key}`, ...lines.slice(mid)]]);
    }
  });
  // Each planted version, then a later edit elsewhere in the file that carries the key on.
  const stream = commits
    .flatMap(([f, lines], n) => {
      const later = [...lines, `// edited ${n}`];
      return [[f, lines], [f, later]];
    })
    .map(([f, lines], n) => {
      const text = lines.join('\n');
      return `commit refs/heads/planted\ncommitter b <b@example.test> ${1_700_000_000 + n} +0000\ndata 8\nplanted\n${n === 0 ? `from ${head}\n` : ''}M 100644 inline ${f}\ndata ${Buffer.byteLength(text)}\n${text}\n\n`;
    })
    .join('');
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: stream });
  execFileSync('git', ['repack', '-adfq', '--depth=50', '--window=50'], { cwd: repo });
  return repo;
}

if (!only || only === 'cache') {
  mkdirSync(WORK, { recursive: true });
  // A second audit of an unchanged repository, against the first: the cache's whole point.
  const repos = { 'generated history (with keys)': historyRepo('history-v2.git', []), 'express.bundle': expressRepo() };
  // git/git (850,000 objects), where the goal is named: a clone of it in SK_SCAN_GIT_GIT (a first audit takes about 30 s a round).
  if (process.env.SK_SCAN_GIT_GIT) repos['git/git'] = process.env.SK_SCAN_GIT_GIT;
  console.log('\n## cache: a first audit (empty cache) against a second (nothing new)');
  for (const [label, repo] of Object.entries(repos)) {
    if (repo === null) {
      console.log(`\n### ${label}: not found (set SK_SCAN_EXPRESS_BUNDLE), skipped`);
      continue;
    }
    const cold = join(WORK, 'cache-cold');
    const warm = join(WORK, 'cache-warm');
    rmSync(warm, { recursive: true, force: true });
    execFileSync('sh', ['-c', `${process.execPath} ${CLI} git ${repo} --cache ${warm} -q >/dev/null 2>&1 || true`]);
    const r = race(
      {
        first: `rm -rf ${cold} && ${process.execPath} ${CLI} git ${repo} --cache ${cold} --format json --output /dev/null`,
        second: `${process.execPath} ${CLI} git ${repo} --cache ${warm} --format json --output /dev/null`,
        listing: `git -C ${repo} cat-file --batch-all-objects --batch-check --unordered >/dev/null`,
      },
      label === 'git/git' ? 3 : 7,
    );
    console.log(`\n### ${label}`);
    console.log(`first audit ${secs(r.first)} · second ${secs(r.second)} · listing the objects (the floor) ${secs(r.listing)}`);
    console.log(`second/first: ${((r.second.median / r.first.median) * 100).toFixed(0)}% (goal: at most 10% on a history the size of git/git)`);
  }
}

/** sk-scan's own peak RSS (not its git processes', whose mapped packs count as theirs): a preloaded hook reports it at exit. */
function ownPeakRss(args) {
  const hook = join(WORK, 'rss-hook.mjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`\\nsk-scan-max-rss ${process.resourceUsage().maxRSS * 1024}\\n`));\n");
  const r = spawnSync(process.execPath, ['--import', hook, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return Number(/sk-scan-max-rss (\d+)/.exec(r.stderr)?.[1] ?? NaN);
}

if (!only || only === 'memory') {
  mkdirSync(WORK, { recursive: true });
  // Memory that does not grow with the history: the generated history, and one ten times its length.
  const small = historyRepo('history-v2.git', []);
  const large = historyRepo('history-x10.git', ['--commits', '52000']);
  console.log('\n## memory: a whole-history scan of the generated history and of one ten times longer');
  const rows = [];
  for (const [label, repo] of [['5,200 commits', small], ['52,000 commits', large]]) {
    const objects = execFileSync('git', ['count-objects', '-v'], { cwd: repo }).toString().match(/in-pack: (\d+)/)?.[1];
    // Peak RSS moves from run to run with when V8 collects (150-185 MB on the large one): the median of three.
    const runs = [0, 1, 2].map(() => ownPeakRss(['git', repo, '--no-cache', '-q', '--format', 'json', '--output', '/dev/null'])).sort((a, b) => a - b);
    const own = runs[1];
    const tree = peakRss(`${process.execPath} ${CLI} git ${repo} --no-cache -q`);
    rows.push(own);
    console.log(`${label} (${objects} objects): sk-scan ${mb(own)} (median of ${runs.map(mb).join(', ')}); with its git processes ${mb(tree)}`);
  }
  console.log(`large/small: ${(rows[1] / rows[0]).toFixed(2)}x (goal: at most 1.3x)`);
}

if (!only || only === 'server') {
  mkdirSync(WORK, { recursive: true });
  // A server's pre-receive hook on a one-commit push: the hook-repo's history in a bare repository, a commit on
  // top of main written into its store but on no ref (as a push's quarantine holds it), and the ref line git
  // would write; `sk-scan pre-receive` against a bare `node -e 0`.
  const source = join(WORK, 'hook-repo-5000');
  const bare = join(WORK, 'server-5000.git');
  if (existsSync(join(source, '.git')) && !existsSync(join(bare, 'HEAD'))) execFileSync('git', ['clone', '-q', '--bare', source, bare]);
  if (!existsSync(join(bare, 'HEAD'))) {
    console.log('\n## server: run the hook bench first (it makes the repository)');
  } else {
    const git = (args, input) => execFileSync('git', args, { cwd: bare, input, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.test', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.test' } }).toString().trim();
    const main = git(['rev-parse', 'HEAD']);
    const files = git(['ls-tree', '-r', '--name-only', 'HEAD']).split('\n').slice(100, 105);
    // Five files changed by one commit, written with git's plumbing.
    const index = join(WORK, 'server-index');
    rmSync(index, { force: true });
    const env = { ...process.env, GIT_INDEX_FILE: index };
    execFileSync('git', ['read-tree', 'HEAD'], { cwd: bare, env });
    for (const f of files) {
      const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: bare, input: git(['show', `HEAD:${f}`]) + '\n// edited for the bench\n' }).toString().trim();
      execFileSync('git', ['update-index', '--cacheinfo', `100644,${blob},${f}`], { cwd: bare, env });
    }
    const tree = execFileSync('git', ['write-tree'], { cwd: bare, env }).toString().trim();
    const commit = git(['commit-tree', tree, '-p', main, '-m', 'bench change']);
    const line = join(WORK, 'server-refs.txt');
    writeFileSync(line, `${main} ${commit} refs/heads/main\n`);
    console.log('\n## server: sk-scan pre-receive on a one-commit push (5 files) to a 5,000-file repository\n');
    const r = race({ hook: `cd ${bare} && GIT_DIR=. ${process.execPath} ${CLI} pre-receive < ${line}`, node: `cd ${bare} && ${process.execPath} -e 0 < ${line}` }, 20);
    console.log(`sk-scan pre-receive ${secs(r.hook)} · node -e 0 ${secs(r.node)}: ${(r.hook.median / r.node.median).toFixed(2)}x (goal: at most 2.5x)`);
  }
  // A whole history pushed at once: 20,000 commits (git fast-import), on no ref of the repository yet, as a
  // quarantine holds them; against `git log -p` over them, the diff walk the scan makes.
  const imported = join(WORK, 'server-20000.git');
  if (!existsSync(join(imported, 'HEAD'))) {
    execFileSync('git', ['init', '-q', '--bare', imported]);
    const chunks = [];
    for (let i = 0; i < 20_000; i++) {
      const body = `export const v${i} = ${i};\n`;
      chunks.push(`commit refs/heads/import\ncommitter b <b@example.test> ${1_700_000_000 + i * 60} +0000\ndata 9\nchange ${String(i % 10)}\nM 100644 inline src/f${i % 500}.js\ndata ${body.length}\n${body}\n`);
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: imported, input: chunks.join('') });
  }
  const tip = execFileSync('git', ['rev-parse', 'refs/heads/import'], { cwd: imported }).toString().trim();
  const whole = join(WORK, 'server-20000-refs.txt');
  writeFileSync(whole, `${'0'.repeat(40)} ${tip} refs/heads/main\n`);
  // A repository with no refs, its objects the import's (as git names a push's quarantine to the hook: an alternate).
  const view = join(WORK, 'server-20000-view.git');
  rmSync(view, { recursive: true, force: true });
  execFileSync('git', ['init', '-q', '--bare', view]);
  console.log('\n## server: a push of 20,000 commits (a whole history at once), no time budget\n');
  const big = race({ hook: `cd ${view} && GIT_DIR=. GIT_ALTERNATE_OBJECT_DIRECTORIES=${join(imported, 'objects')} ${process.execPath} ${CLI} pre-receive --timeout 600 < ${whole}`, walk: `git -C ${imported} log -p ${tip} >/dev/null` }, 3);
  console.log(`sk-scan pre-receive ${secs(big.hook)} · git log -p over them ${secs(big.walk)}: ${(big.hook.median / big.walk.median).toFixed(2)}x; ${big.hook.median < 4 ? 'within' : 'over'} the default --timeout of 4 s`);
}

if (!only || only === 'hook') {
  mkdirSync(WORK, { recursive: true });
  const repo = join(WORK, 'hook-repo-5000');
  if (!existsSync(join(repo, '.git'))) {
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(repo, { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    // 5,000 real source files from node_modules (copied again under another folder until there are enough).
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
    for (let copy = 0; n < 5000; copy++) walk(join(ROOT, 'node_modules'), `src${copy}`);
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.test', 'commit', '-qm', 'import'], { cwd: repo });
  }
  // A 5-file staged change.
  const tracked = execFileSync('git', ['ls-files'], { cwd: repo }).toString().trim().split('\n');
  execFileSync('git', ['reset', '-q', '--hard'], { cwd: repo });
  for (const f of tracked.slice(100, 105)) writeFileSync(join(repo, f), readFileSync(join(repo, f), 'utf8') + '\n// edited for the bench\n');
  execFileSync('git', ['add', '-A'], { cwd: repo });
  console.log(`\n## hook: ${tracked.length} tracked files, 5 files staged\n`);
  const r = race({ staged: `cd ${repo} && ${process.execPath} ${CLI} staged`, node: `cd ${repo} && ${process.execPath} -e 0` }, 20);
  console.log(`sk-scan staged ${secs(r.staged)} · node -e 0 ${secs(r.node)}: ${(r.staged.median / r.node.median).toFixed(2)}x (goal: at most 2.5x)`);
  execFileSync('git', ['reset', '-q', '--hard'], { cwd: repo });
}
