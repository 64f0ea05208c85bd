/**
 * Writing what the CLI prints. A reader that stops reading (`sk-scan … | head`)
 * ends the output quietly, as it does for git and ripgrep; any other failure
 * (a full disk) is one line and exit code 2.
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { untilDone } from '../common/cleanup.js';
import { SkScanError, describeIoError } from '../common/errors.js';
import { maskSecrets } from '../common/redact.js';
import { printable, wrap } from '../common/text.js';

/** Once set up, a closed stdout or stderr no longer raises an unhandled 'error' event. */
export function guardStreams(): void {
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
}

/**
 * The report to FILE, or to standard output. A file is written whole or not
 * at all: into a new file beside it, then renamed over it, so a write that
 * fails half-way (a full disk) leaves the old file, not half a report. A
 * report holding full keys (`secret`) is created readable by its owner only.
 */
export async function writeReport(text: string, file: string | undefined, opts: { secret?: boolean } = {}): Promise<void> {
  if (file !== undefined) return writeWhole(file, text, opts.secret ? 0o600 : 0o666);
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (!err || (err as NodeJS.ErrnoException).code === 'EPIPE') resolve();
      else reject(new SkScanError(`cannot write the report to standard output: ${describeIoError(err)}`));
    });
  });
}

/** Text a command prints on standard output (help, the version, what init did): exit code 0. */
export async function print(text: string): Promise<number> {
  await writeReport(text, undefined);
  return 0;
}

export function warn(message: string): void {
  process.stderr.write(`${forTerminal(`sk-scan: warning: ${printable(maskSecrets(message))}`)}\n`);
}

/**
 * A message as standard error shows it: on a terminal, wrapped at its width
 * between words (a command in it stays whole on its line where it fits), the
 * lines after the first indented; elsewhere (a log, a pipe) one line, for grep.
 */
export function forTerminal(line: string): string {
  if (!process.stderr.isTTY) return line;
  return wrap(line, Math.max(40, process.stderr.columns || 80), 0, 2).join('\n');
}

function writeWhole(file: string, text: string, mode: number): void {
  let target = file;
  try {
    const st = statSync(file);
    // A device or a FIFO (`--output /dev/null`) is written to, never replaced.
    if (!st.isFile()) return writeInPlace(file, text);
    // A link is followed: the file it names is replaced, the link stays.
    target = realpathSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SkScanError(`cannot write ${file}: ${describeIoError(err, { writing: true })}`);
  }
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const forget = untilDone(() => rmSync(temporary, { force: true }));
  try {
    writeFileSync(temporary, text, { mode, flag: 'wx' });
    renameSync(temporary, target);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new SkScanError(`cannot write ${file}: ${describeIoError(err, { writing: true })}`);
  } finally {
    forget();
  }
}

function writeInPlace(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new SkScanError(`cannot write ${file}: ${describeIoError(err, { writing: true })}`);
  }
}
