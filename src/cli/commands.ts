/**
 * The command table: each command with its arguments, its own flags (their
 * help, value checks, and whether a suggested command keeps them) and the
 * handler that runs it, as vitest binds each command to its action. Parsing
 * (./args.ts), the help (./help.ts) and the dispatch (./main.ts) are all made
 * from it, so a command cannot be listed without a handler, nor a flag
 * checked outside its entry.
 */
import { SkScanError } from '../common/errors.js';
import { readRegularFile } from '../common/files.js';
import { wrap } from '../common/text.js';
import { scanDir, scanGit, scanImage, scanPrePush, scanStaged, scanStdin } from '../index.js';
import { parseCommand, unknownCommand, usageError, type Command, type Parsed } from './args.js';
import { print } from './output.js';
import { mergeCommand, runScan } from './scan.js';
import { SCAN_FLAGS, wholeNumber } from './scan-flags.js';

/** `--ci github`: one of a list. */
function oneOf(flag: string, choices: string[]): (value: string) => string | null {
  return (value) => (choices.includes(value) ? null : `--${flag} takes ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1] as string}, not '${value}'`);
}

/** --targets-file: one path or URL a line; blank lines and `#` comments skipped. */
function targetsFile(file: string | undefined, command: Command): string[] {
  if (file === undefined) return [];
  // Read as settings files are: a FIFO or a device is refused at once, and the size is capped.
  const read = readRegularFile(file, 16 << 20);
  if (read === null || !('bytes' in read)) throw usageError(`cannot read the targets file ${file}: ${read === null ? 'it does not exist' : 'refused' in read ? read.refused : read.failed}`, command);
  const targets = read.bytes
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
  if (targets.length === 0) throw usageError(`the targets file ${file} names no repository`, command);
  return targets;
}

export const COMMANDS: Command[] = [
  {
    name: 'dir',
    args: '[PATH...]',
    summary: 'scan working trees or files (default .)',
    own: {
      'no-ignore': { type: 'boolean', help: 'also scan files .gitignore excludes (never .git/)' },
      audit: { type: 'boolean', help: "a tree somebody else prepared: read none of its settings files or .gitignore, and report its allow comments" },
    },
    shared: SCAN_FLAGS,
    positionals: true,
    run: ({ values, positionals }, command) => runScan(command, values, (o) => scanDir(positionals, { ...o, noIgnore: values['no-ignore'] === true, audit: values['audit'] === true })),
  },
  {
    name: 'git',
    args: '[REPO...]',
    summary: 'scan every object in git repositories (default .)',
    about:
      'REPO may be a working tree, a bare repository, a URL (cloned for the scan, then removed), or a folder holding repositories (each one below it is scanned). A repository that cannot be opened is reported and the rest are scanned (exit 2).',
    own: {
      audit: { type: 'boolean', help: "a repository somebody else prepared: read none of its settings files, and report its allow comments (implied for URLs, folders of repositories and --targets-file)" },
      'targets-file': { type: 'string', arg: 'FILE', help: 'more REPOs, one path or URL a line (# starts a comment)' },
      jobs: { type: 'string', arg: 'N', help: 'repositories scanned at once (default: one per two cores)', valid: wholeNumber('jobs') },
      since: { type: 'string', arg: 'REV|DATE', help: 'only lines the commits since REV (REV..HEAD) or DATE (2024-01-01) added', together: (given) => (given['range'] !== undefined ? '--since and --range cannot be used together' : null) },
      range: { type: 'string', arg: 'A..B', help: 'only lines the commits in the range added' },
      'no-fetch': { type: 'boolean', help: 'kept for old scripts: sk-scan never fetches what a partial clone lacks (it names them; exit 2)' },
      cache: { type: 'string', arg: 'DIR', help: 'keep the scan cache in DIR (default: ~/.cache/sk-scan, never in the repository)' },
      'no-cache': { type: 'boolean', help: 'read every object: neither use nor write the scan cache' },
      'no-submodules': { type: 'boolean', help: "leave submodules unread, and accept that (default: the repositories a superproject keeps for them are scanned too, and one that is missing is unread: exit 2)" },
    },
    shared: SCAN_FLAGS,
    positionals: true,
    run: ({ values, positionals }, command) => {
      const more = targetsFile(values['targets-file'] as string | undefined, command);
      const jobs = values['jobs'] === undefined ? undefined : Number(values['jobs']);
      const given = (name: string) => values[name] as string | undefined;
      return runScan(command, values, (o) => scanGit([...positionals, ...more], { ...o, audit: values['audit'] === true || values['targets-file'] !== undefined, since: given('since'), range: given('range'), cache: given('cache'), noCache: values['no-cache'] === true, noSubmodules: values['no-submodules'] === true, jobs }));
    },
  },
  {
    name: 'staged',
    args: '[FILE...]',
    summary: 'scan what the next commit holds: the pre-commit hook',
    about: "Reads the index, never the working tree: the lines the staged change adds, or with FILEs their whole staged content (as the pre-commit framework passes them). A block says `sk-scan: commit blocked: …` on its first line.",
    own: {},
    shared: SCAN_FLAGS,
    positionals: true,
    run: ({ values, positionals }, command) => runScan(command, values, (o) => scanStaged(positionals, o)),
  },
  {
    name: 'pre-push',
    args: 'REMOTE URL',
    summary: "git's pre-push hook: scan the lines the push adds",
    about: "Reads git's ref lines on standard input (or the pre-commit framework's PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF).",
    own: {},
    shared: SCAN_FLAGS,
    positionals: true,
    run: ({ values, positionals }, command) => runScan(command, values, (o) => scanPrePush({ args: positionals, input: process.stdin.isTTY ? '' : process.stdin, env: process.env }, o)),
  },
  {
    name: 'pre-receive',
    args: '',
    summary: "a git server's pre-receive hook: refuse a push that adds a key",
    about:
      "Run as the repository's hooks/pre-receive. Reads git's `<old> <new> <ref>` lines on standard input and scans what the push adds (commits no ref here reaches, new annotated tags' messages) from git's quarantine; exit 1 refuses the push, and git shows the pusher the message as `remote:` lines. Only the server's settings count (--config FILE): the pushed tree's .sk-scan.yaml, .sk-scanignore and allow comments never relax the check.",
    own: {
      timeout: { type: 'string', arg: 'SECONDS', help: 'how long the scan may take (default 4: GitHub Enterprise ends a hook after 5)', valid: (v) => (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 ? null : 'a number of seconds, such as 4 or 2.5') },
      'on-timeout': { type: 'string', arg: 'reject|accept', help: 'out of time: refuse the push (default), or let it through and record it in --log as unscanned', valid: (v) => (v === 'reject' || v === 'accept' ? null : 'reject or accept') },
      log: { type: 'string', arg: 'FILE', help: "the server's log of bypasses and unscanned pushes (JSON lines, never a key); no bypass is taken without one" },
      'no-bypass': { type: 'boolean', help: 'refuse every bypass (git push -o sk-scan.bypass=…)' },
      'bypass-rules': { type: 'string', arg: 'ID,ID', help: 'take a bypass only for findings of these rules' },
    },
    shared: SCAN_FLAGS,
    positionals: false,
    run: async ({ values }, command) => (await import('./server.js')).runPreReceive(command, values),
  },
  {
    name: 'image',
    args: 'PATH',
    summary: 'scan a container image: a docker save tarball or an OCI layout',
    about:
      "No Docker daemon needed: PATH is what `docker save -o app.tar app:1.0` writes, or an OCI image layout (a folder with index.json, or its tar). Every layer's files are read, those a later layer deleted too (they are still in the image), and the config's Env, Labels, Cmd, Entrypoint and history (where ENV and ARG values stay).",
    own: {},
    shared: SCAN_FLAGS,
    positionals: true,
    run: ({ values, positionals }, command) => {
      if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'image needs a PATH: a docker save tarball or an OCI image layout' : 'image takes one PATH', command);
      return runScan(command, values, (o) => scanImage(positionals[0] as string, o));
    },
  },
  {
    name: 'stdin',
    args: '',
    summary: 'scan standard input',
    own: { path: { type: 'string', arg: 'NAME', help: 'the path to report for standard input' } },
    shared: SCAN_FLAGS,
    positionals: false,
    run: ({ values }, command) => {
      if (process.stdin.isTTY) throw usageError('stdin is a terminal: pipe something in, e.g. `cat file | sk-scan stdin`', command);
      return runScan(command, values, (o) => scanStdin(process.stdin, { ...o, path: values['path'] as string | undefined }));
    },
  },
  {
    name: 'install-hook',
    args: '',
    summary: 'install a git hook that runs sk-scan',
    own: {
      'pre-push': { type: 'boolean', help: 'the pre-push hook (default: pre-commit)' },
      server: { type: 'string', arg: 'PATH.git', help: "a server's bare repository: its pre-receive hook, which refuses pushes that add a key" },
      husky: { type: 'boolean', help: 'write it under .husky/ (husky v9)' },
      chain: { type: 'boolean', help: 'keep an existing hook and run it first' },
    },
    positionals: false,
    run: async ({ values }) => {
      const { installHook } = await import('../setup/hooks.js');
      const server = typeof values['server'] === 'string' ? values['server'] : undefined;
      if (server !== undefined && (values['pre-push'] === true || values['husky'] === true)) throw new SkScanError("--server installs a server repository's pre-receive hook: not with --pre-push or --husky");
      const done = await installHook({ kind: values['pre-push'] ? 'pre-push' : 'pre-commit', husky: values['husky'] === true, chain: values['chain'] === true, ...(server !== undefined ? { server } : {}) });
      return print(`${wrap(`sk-scan: ${done.message}`, 80, 0, 2).join('\n')}\n`);
    },
  },
  {
    name: 'init',
    args: '',
    summary: 'write a commented .sk-scan.yaml; print the hook and CI set-up',
    about: 'Asks nothing and overwrites nothing: an existing .sk-scan.yaml is kept, and a CI or hook file that exists is refused.',
    own: {
      ci: { type: 'string', arg: 'github|gitlab|github-org', help: 'write the CI set-up: .github/workflows/sk-scan.yml, .gitlab-ci.yml, or an audit of many repositories on a matrix', valid: oneOf('ci', ['github', 'gitlab', 'github-org']) },
      hook: { type: 'string', arg: 'git|husky|pre-commit', help: 'install the commit hook, or write .pre-commit-config.yaml', valid: oneOf('hook', ['git', 'husky', 'pre-commit']) },
    },
    positionals: false,
    run: async ({ values }) => print(await init(values['ci'] as string | undefined, values['hook'] as 'git' | 'husky' | 'pre-commit' | undefined)),
  },
  {
    name: 'merge',
    args: 'REPORT.json...',
    summary: 'one report from the JSON reports of separate runs (shards, days)',
    about: 'Findings put together, each key once across reports (its most telling verdict: active over inactive over unknown), advisories worked out again. Each report is checked against the report model (a problem is named by file and field), and the result is masked as a scan is. Exit codes as for a scan.',
    own: {
      format: SCAN_FLAGS.format,
      output: SCAN_FLAGS.output,
      explain: SCAN_FLAGS.explain,
      color: SCAN_FLAGS.color,
      'no-color': SCAN_FLAGS['no-color'],
      'fail-on': SCAN_FLAGS['fail-on'],
      'show-secrets': { type: 'boolean', help: 'keys in full, where the reports hold them (written with --show-secrets); masked by default' },
    },
    positionals: true,
    run: ({ values, positionals }, command) => mergeCommand(command, values, positionals),
  },
  {
    name: 'rules',
    args: 'list | check FILE',
    summary: "list the rules in force; run a rules file's examples",
    about:
      "`rules list`: each rule a scan from this folder uses (the built-in ones the config keeps, then its own): severity, keywords, the encodings its keys are found in too, and whether --verify has a check for it. `rules check FILE`: every example of every rule in FILE (a rules file, or a .sk-scan.yaml), each that misbehaves as FILE:LINE; exit 1 if any does, 2 if the file is not a rules file.",
    own: {
      format: { type: 'string', arg: 'text|json', help: 'text (default) or json', valid: oneOf('format', ['text', 'json']) },
      config: { type: 'string', arg: 'FILE', help: 'rules list: use FILE instead of ./.sk-scan.yaml' },
    },
    positionals: true,
    run: async (args, command) => (await import('./rules.js')).rulesCommand(args, command),
  },
  {
    name: 'help',
    args: '[COMMAND]',
    summary: 'this text, or the usage and options of COMMAND',
    own: {},
    positionals: true,
    run: async ({ positionals }) => {
      const help = await import('./help.js');
      if (positionals.length === 0) return print(help.overview(COMMANDS, SCAN_FLAGS));
      const about = findCommand(positionals[0] ?? '');
      if (!about || positionals.length > 1) throw about ? usageError('help takes one command') : unknownCommand(positionals[0] ?? '', COMMANDS);
      return print(help.commandHelp(about));
    },
  },
];

/** `sk-scan init`: the config template, and the CI or hook set-up asked for; what was done, a line each (or the set-up guide). */
async function init(ci: string | undefined, hook: 'git' | 'husky' | 'pre-commit' | undefined): Promise<string> {
  const setup = await import('../setup/init.js');
  const said: string[] = [];
  const config = setup.writeConfigTemplate('.');
  said.push(config ? `wrote ${config}` : 'kept the existing .sk-scan.yaml');
  if (ci !== undefined) {
    const written = setup.writeCi('.', ci);
    said.push(written.wrote.includes('already there') ? written.wrote : `wrote ${written.wrote}`, ...written.notes);
  }
  if (hook === 'pre-commit') said.push(`wrote ${setup.writePreCommitConfig('.')}; now run: pre-commit install && pre-commit install --hook-type pre-push`);
  else if (hook !== undefined) {
    const { installHook } = await import('../setup/hooks.js');
    said.push((await installHook({ kind: 'pre-commit', husky: hook === 'husky', chain: false })).message);
  }
  return `${said.map((s) => `sk-scan: ${s}\n`).join('')}${ci === undefined && hook === undefined ? `\n${setup.setupGuide()}` : ''}`;
}

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** One command's arguments, parsed and checked against its entry. */
export function parse(command: Command, argv: string[]): Parsed {
  return parseCommand(command, argv, COMMANDS);
}
