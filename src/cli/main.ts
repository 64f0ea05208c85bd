#!/usr/bin/env node
/**
 * The command line: find the command in the table (./commands.ts), parse and
 * check its arguments there, and run its handler, which calls the typed API
 * and picks the exit code: 0 no findings, 1 findings, 2 an error (one line on
 * stderr, never a stack trace).
 */
import { cleanUpNow } from '../common/cleanup.js';
import { SkScanError } from '../common/errors.js';
import { maskSecrets } from '../common/redact.js';
import { printable } from '../common/text.js';
import { VERSION } from '../common/version.js';
import { optionFirst, unknownCommand } from './args.js';
import { COMMANDS, findCommand, parse } from './commands.js';
import { forTerminal, guardStreams, print } from './output.js';
import { SCAN_FLAGS } from './scan-flags.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return print((await help()).overview(COMMANDS, SCAN_FLAGS));
  if (name === '--version' || name === '-v' || name === 'version') return print(`${VERSION}\n`);
  const command = findCommand(name);
  if (!command) throw name.startsWith('-') ? optionFirst(name) : unknownCommand(name, COMMANDS);
  const args = parse(command, rest);
  if (args.values['help']) return print((await help()).commandHelp(command));
  return command.run(args, command);
}

/** The help pages, loaded only when asked for (a hook never needs them). */
function help() {
  return import('./help.js');
}

/** The one line anything that escapes becomes, with exit code 2: never a stack trace (SK_SCAN_DEBUG shows it). */
function fail(err: unknown): void {
  if (err instanceof SkScanError) {
    process.stderr.write(`${forTerminal(`sk-scan: error: ${printable(maskSecrets(err.message))}`)}\n`);
  } else {
    const e = err as Error;
    process.stderr.write(`sk-scan: internal error: ${printable(maskSecrets(e?.message ?? String(err)))}\n`);
    if (process.env['SK_SCAN_DEBUG']) process.stderr.write(`${e?.stack ?? ''}\n`);
  }
  process.exitCode = 2;
}

guardStreams();
// The last resort: whatever escapes the promise chain below still ends as one line and exit code 2.
process.on('uncaughtException', (err) => {
  fail(err);
  cleanUpNow();
  process.exit(2);
});
process.on('unhandledRejection', (err) => {
  fail(err);
  cleanUpNow();
  process.exit(2);
});
// Ctrl-C or a CI runner's SIGTERM: git processes ended, temporary folders and half-written reports removed,
// and the exit code a shell expects (128 + the signal's number).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    cleanUpNow();
    process.exit(code);
  });
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, fail);
