/** `sk-scan init`: a commented `.sk-scan.yaml`, and the set-up for hooks and CI. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SkScanError } from '../common/errors.js';
import { readRegularFile } from '../common/files.js';

export const CONFIG_TEMPLATE = `# sk-scan configuration. Every field is optional; delete what you do not need.
# Docs: the README of the sk-scan package.

# Paths never read (globs relative to this folder). Prefer narrow globs:
# a real key in an excluded path is never found.
exclude: []
#  - "vendor/**"
#  - "**/*.min.js"

# Files larger than this are skipped and counted (bytes, or 500KB, 10MiB).
maxFileSize: 100MiB

# Built-in rules to turn off: chatbot-live-key, chatbot-test-key, chatbot-webhook-secret.
disable: []

# Individual findings you accept, by the fingerprint printed with each one.
# (For many at once, use a baseline: sk-scan dir . --update-baseline.)
ignore: []

# Your own rules, in the same form as the built-in ones.
rules: []
#  - id: internal-service-token
#    description: Our internal service token
#    severity: high
#    keywords: [tok_]
#    pattern: 'tok_(?<secret>[A-Za-z0-9]{24})'
#    minEntropy: 3
#    examples:
#      match: ["tok_Zq8Lm3Vx7Rp2Wn5Ks9Dt4Hy6"]
#      noMatch: ["tok_short"]
`;

/**
 * The GitHub workflow `init --ci github` writes. It runs the project's own
 * sk-scan (a devDependency, installed as the repository installs its
 * dependencies: `__INSTALL__`, see installStep) through its Action entry,
 * which picks the range from the event.
 */
export const GITHUB_WORKFLOW = `# sk-scan: Chatbot Platform keys in what each pull request and push adds,
# and the whole history every Monday. Written by sk-scan init --ci github.
name: sk-scan
on:
  push:
  pull_request:
  schedule: [{ cron: '0 6 * * 1' }]
  workflow_dispatch:
permissions: { contents: read, security-events: write }
jobs:
  sk-scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }     # a range needs the commits it starts from
      - uses: actions/setup-node@v4
        with: { node-version: 20 }
      - run: __INSTALL__
      - id: sk-scan
        run: npx --no sk-scan-action  # annotations, a step summary, and a SARIF file
      - uses: github/codeql-action/upload-sarif@v3
        if: always() && steps.sk-scan.outputs.sarif != ''
        with:
          sarif_file: \${{ steps.sk-scan.outputs.sarif }}
          category: sk-scan
`;

/**
 * `init --ci github-org`: an audit of many repositories on a GitHub Actions
 * matrix. Each job audits its shard of audit-targets.txt and uploads the JSON
 * report; a last job merges them into one HTML report.
 */
export const GITHUB_ORG_WORKFLOW = `# sk-scan: an audit of many repositories, sharded over a GitHub Actions matrix,
# merged into one HTML report. Written by sk-scan init --ci github-org.
# The repositories are listed in audit-targets.txt (one URL a line). For private
# ones, give the job a token that can read them (a fine-grained PAT or an App
# token in the secret SK_SCAN_READ_TOKEN).
name: sk-scan audit
on:
  schedule: [{ cron: '0 5 * * 1' }]
  workflow_dispatch:
permissions: { contents: read }
jobs:
  audit:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        shard: [0, 1, 2, 3]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20 }
      - run: __INSTALL__
      - name: Audit this shard's repositories
        env:
          SHARDS: 4
          SHARD: \${{ matrix.shard }}
          TOKEN: \${{ secrets.SK_SCAN_READ_TOKEN }}
        run: |
          if [ -n "$TOKEN" ]; then git config --global url."https://x-access-token:$TOKEN@github.com/".insteadOf https://github.com/; fi
          awk -v n="$SHARDS" -v i="$SHARD" '!/^[[:space:]]*(#|$)/ { if (k++ % n == i) print }' audit-targets.txt > shard.txt
          if [ ! -s shard.txt ]; then echo "shard $SHARD: nothing to audit"; exit 0; fi
          # 1 (keys found) and 2 (a repository failed) are the report's to show: only a missing report fails the shard.
          npx --no sk-scan git --targets-file shard.txt --format json --output "sk-scan-shard-$SHARD.json" --quiet || true
          test -f "sk-scan-shard-$SHARD.json"
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: sk-scan-shard-\${{ matrix.shard }}
          path: sk-scan-shard-*.json
          if-no-files-found: ignore
  report:
    needs: audit
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20 }
      - run: __INSTALL__
      - uses: actions/download-artifact@v4
        with: { pattern: sk-scan-shard-*, merge-multiple: true }
      - name: Merge the shards into one report
        run: |
          npx --no sk-scan merge sk-scan-shard-*.json --format markdown >> "$GITHUB_STEP_SUMMARY" || true
          # The job fails when the audit found keys (1) or a repository could not be scanned (2); the report is uploaded either way.
          npx --no sk-scan merge sk-scan-shard-*.json --format html --output sk-scan-audit.html
      - uses: actions/upload-artifact@v4
        if: always()
        with: { name: sk-scan-audit, path: sk-scan-audit.html }
`;

/** The list the org audit reads, written once beside its workflow. */
export const AUDIT_TARGETS = `# Repositories for the sk-scan audit workflow: one URL (or path) a line.
# https://github.com/your-org/api.git
`;

/** The GitLab job `init --ci gitlab` writes: a merge request's diff base, a push's previous commit, else the whole history. */
export const GITLAB_JOB = `# sk-scan: Chatbot Platform keys in what each merge request and push adds.
# Written by sk-scan init --ci gitlab.
sk-scan:
  image: node:20
  variables:
    GIT_DEPTH: 0                     # a range needs the commits it starts from
  script:
    - __INSTALL__
    - if [ -n "$CI_MERGE_REQUEST_DIFF_BASE_SHA" ]; then set -- --range "$CI_MERGE_REQUEST_DIFF_BASE_SHA..$CI_COMMIT_SHA"; elif [ -n "$CI_COMMIT_BEFORE_SHA" ] && [ "$CI_COMMIT_BEFORE_SHA" != "0000000000000000000000000000000000000000" ]; then set -- --range "$CI_COMMIT_BEFORE_SHA..$CI_COMMIT_SHA"; else set --; fi; npx --no sk-scan git . "$@" --format junit --output sk-scan.xml
  artifacts:
    when: always
    reports:
      junit: sk-scan.xml
`;

/** The pre-commit framework's config `init --hook pre-commit` writes: local hooks running the project's own sk-scan. */
export const PRE_COMMIT_CONFIG = `# sk-scan before each commit and push. Written by sk-scan init --hook pre-commit.
# Then: pre-commit install && pre-commit install --hook-type pre-push
repos:
  - repo: local
    hooks:
      - id: sk-scan
        name: sk-scan (Chatbot Platform keys)
        entry: npx --no sk-scan staged
        language: system
        stages: [commit]
        require_serial: true
      - id: sk-scan-push
        name: sk-scan (what the push sends)
        entry: npx --no sk-scan pre-push
        language: system
        stages: [push]
        pass_filenames: false
        always_run: true
`;

export function setupGuide(): string {
  return `Set-up (sk-scan as a devDependency: npm install --save-dev <the tarball or git URL>):

  Git hook (this repository):     npx sk-scan install-hook      (or: init --hook git)
                                  npx sk-scan install-hook --pre-push
  husky v9:                       npx sk-scan install-hook --husky  (or: init --hook husky)
  pre-commit framework:           npx sk-scan init --hook pre-commit
    (skip once: SKIP=sk-scan git commit, SKIP=sk-scan-push git push)
  GitHub Actions:                 npx sk-scan init --ci github
    writes .github/workflows/sk-scan.yml: annotations, a step summary and
    code scanning alerts; pull requests judged by what they add
  GitLab CI:                      npx sk-scan init --ci gitlab
    writes .gitlab-ci.yml (a JUnit report; merge requests judged by what they add)

  Accept what is already there, block every new key:
                                  npx sk-scan git . --update-baseline
`;
}

/**
 * How CI installs the project's dependencies (sk-scan among them) in the
 * repository at hand, and a word on it for init to say: `npm ci` where a
 * lockfile pins them; yarn or pnpm through corepack where theirs does; else
 * `npm install`, which resolves versions on each run (a repository without a
 * lockfile, `package-lock=false`, would fail `npm ci` at once).
 */
export function installStep(dir: string): { command: string; said: string | null } {
  const has = (f: string) => existsSync(join(dir, f));
  if (has('package-lock.json') || has('npm-shrinkwrap.json')) return { command: 'npm ci                  # sk-scan is a devDependency, pinned in the lockfile', said: null };
  if (has('yarn.lock')) return { command: 'corepack enable && yarn install --immutable   # pinned in yarn.lock', said: 'CI installs with yarn (yarn.lock), through corepack' };
  if (has('pnpm-lock.yaml')) return { command: 'corepack enable && pnpm install --frozen-lockfile   # pinned in pnpm-lock.yaml', said: 'CI installs with pnpm (pnpm-lock.yaml), through corepack' };
  const refused = /^\s*package-lock\s*=\s*false\s*$/m.test(readText(join(dir, '.npmrc')));
  return {
    command: 'npm install --no-audit --no-fund   # no lockfile here: versions resolve on each run',
    said: `no lockfile here${refused ? ' (.npmrc says package-lock=false)' : ''}, so CI installs with npm install (npm ci needs one); versions then resolve on each run, sk-scan's as package.json allows`,
  };
}

/** What this repository's .npmrc and package.json say that would make installing sk-scan from git fail, as a warning; null when nothing does. */
export function gitInstallWarning(dir: string): string | null {
  const npmrc = readText(join(dir, '.npmrc'));
  if (!/^\s*allow-git\s*=\s*none\s*$/m.test(npmrc)) return null;
  let spec = '';
  try {
    const pkg = JSON.parse(readText(join(dir, 'package.json'))) as { devDependencies?: Record<string, string>; dependencies?: Record<string, string> };
    spec = pkg.devDependencies?.['sk-scan'] ?? pkg.dependencies?.['sk-scan'] ?? '';
  } catch {
    return null;
  }
  return /^(git\+|git:|github:|https?:\/\/.*\.git)/.test(spec) ? `this repository's .npmrc refuses git dependencies (allow-git=none), and package.json installs sk-scan from git (${spec}): CI's install will fail; install it from a release tarball kept in the repository instead (see the README)` : null;
}

function readText(path: string): string {
  const read = readRegularFile(path, 1 << 20);
  return read !== null && 'bytes' in read ? read.bytes.toString('utf8') : '';
}

/**
 * Write `text` to `file` under `dir`, never over an existing file. One that
 * is already what init writes is left as it is (said, not refused); one that
 * differs is refused, saying which lines would change.
 */
function writeNew(dir: string, file: string, text: string): string {
  const path = join(dir, file);
  if (existsSync(path)) {
    const now = readText(path);
    if (now === text) return `${file} (already there, as init writes it: nothing to change)`;
    const theirs = new Set(now.split('\n'));
    const added = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#') && !theirs.has(l));
    throw new SkScanError(`${file} already exists and differs from what sk-scan init writes${added.length > 0 ? ` (${added.length} of its lines: ${added.slice(0, 2).map((l) => `'${l.trim()}'`).join(', ')}${added.length > 2 ? ', …' : ''})` : ''}; not overwritten: move it aside and run init again, or edit it by hand`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return file;
}

/** Write `.sk-scan.yaml` in `dir`, unless one is there: then it is kept, and null says so. */
export function writeConfigTemplate(dir: string): string | null {
  return existsSync(join(dir, '.sk-scan.yaml')) ? null : writeNew(dir, '.sk-scan.yaml', CONFIG_TEMPLATE);
}

/** `init --ci github|gitlab|github-org`: the CI set-up, as files made for this repository; what was written, and what init has to say about it. */
export function writeCi(dir: string, ci: string): { wrote: string; notes: string[] } {
  const install = installStep(dir);
  const fill = (template: string) => template.split('__INSTALL__').join(install.command);
  const notes = [install.said, gitInstallWarning(dir)].filter((n): n is string => n !== null);
  if (ci === 'github') return { wrote: writeNew(dir, '.github/workflows/sk-scan.yml', fill(GITHUB_WORKFLOW)), notes };
  if (ci === 'gitlab') return { wrote: writeNew(dir, '.gitlab-ci.yml', fill(GITLAB_JOB)), notes };
  if (ci === 'github-org') {
    const workflow = writeNew(dir, '.github/workflows/sk-scan-audit.yml', fill(GITHUB_ORG_WORKFLOW));
    return { wrote: existsSync(join(dir, 'audit-targets.txt')) ? workflow : `${workflow} and ${writeNew(dir, 'audit-targets.txt', AUDIT_TARGETS)} (list the repositories there)`, notes };
  }
  throw new SkScanError(`--ci takes github, gitlab or github-org, not '${ci}' (sk-scan help init)`);
}

/** `init --hook pre-commit`: the framework's config (git and husky hooks are install-hook's). */
export function writePreCommitConfig(dir: string): string {
  return writeNew(dir, '.pre-commit-config.yaml', PRE_COMMIT_CONFIG);
}
