/**
 * Writing what the CLI prints. A reader that stops reading (`sk-scan … | head`)
 * ends the output quietly, as it does for git and ripgrep; any other failure
 * (a full disk) is one line and exit code 2.
 */
import { writeFileSync } from 'node:fs';
import { SkScanError, describeIoError } from '../errors.js';
import { printable } from '../report/format.js';

/** Once set up, a closed stdout or stderr no longer raises an unhandled 'error' event. */
export function guardStreams(): void {
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
}

/** The report to FILE, or to standard output. */
export async function writeReport(text: string, file: string | undefined): Promise<void> {
  if (file !== undefined) {
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw new SkScanError(`cannot write ${file}: ${describeIoError(err)}`);
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (!err || (err as NodeJS.ErrnoException).code === 'EPIPE') resolve();
      else reject(new SkScanError(`cannot write the report to standard output: ${describeIoError(err)}`));
    });
  });
}

export function warn(message: string): void {
  process.stderr.write(`sk-scan: warning: ${printable(message)}\n`);
}
