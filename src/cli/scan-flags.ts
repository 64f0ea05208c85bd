/** The flags every scan command takes: their help, their value checks, and which only shape the output. */
import { formatNumber } from '../common/text.js';
import { FORMATS } from '../report/index.js';
import { DEFAULT_VERIFY_DEADLINE_MS, DEFAULT_VERIFY_TIMEOUT_MS } from '../verify/spec.js';
import { HELP_FLAG, type Flags, type FlagValues } from './args.js';

/** `--threads 4`, `--jobs 2`: a whole number from 1 to 64. */
export function wholeNumber(flag: string): (value: string) => string | null {
  return (value) => {
    const n = Number(value);
    return Number.isInteger(n) && n >= 1 && n <= 64 ? null : `--${flag} takes a whole number from 1 to 64, not '${value}'`;
  };
}

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer one fires at once. */
const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function seconds(flag: string): (value: string) => string | null {
  return (value) => {
    const n = Number(value);
    return Number.isFinite(n) && n >= 0.001 && n <= MAX_SECONDS ? null : `--${flag} takes a number of seconds from 0.001 to ${formatNumber(MAX_SECONDS)}, not '${value}'`;
  };
}

const withVerify = (given: Record<string, unknown>) => (given['verify'] ? null : '--verify-url, --verify-timeout and --verify-deadline go with --verify');

/** Every scan command takes these. */
export const SCAN_FLAGS = {
  format: { type: 'string', arg: 'FORMAT', help: `${FORMATS.join(', ')} (default text)`, output: true, valid: (v) => ((FORMATS as readonly string[]).includes(v) ? null : `unknown format '${v}': use one of ${FORMATS.join(', ')}`) },
  output: { type: 'string', arg: 'FILE', help: 'write the report to FILE (a summary line goes to stderr)', output: true },
  explain: { type: 'boolean', help: 'text: every place and the full advice for each key', output: true },
  color: { type: 'boolean', help: 'text: colour even when stdout is not a terminal', output: true, together: (given) => (given['no-color'] ? '--color and --no-color cannot be used together' : null) },
  'no-color': { type: 'boolean', help: 'text: no colour (as NO_COLOR does)', output: true },
  config: { type: 'string', arg: 'FILE', help: 'use FILE instead of .sk-scan.yaml at the scan root' },
  'show-secrets': { type: 'boolean', help: 'print keys in full (redacted by default)', output: true },
  baseline: { type: 'string', arg: 'FILE', help: 'accepted findings (default .sk-scan-baseline.json at the scan root)', together: (given) => (given['no-baseline'] ? '--baseline and --no-baseline cannot be used together' : null) },
  'no-baseline': { type: 'boolean', help: 'use no baseline: report what it accepts too', output: true },
  'update-baseline': { type: 'boolean', help: 'accept every finding into the baseline (a limited scan adds; a whole one also drops what is gone)', output: true, together: (given) => (given['no-baseline'] ? '--update-baseline writes the baseline; --no-baseline ignores it: pick one' : null) },
  'include-suppressed': { type: 'boolean', help: 'also list accepted findings, each with why', output: true },
  verify: { type: 'boolean', help: 'ask the platform whether each key is live (GET /v1/bots; off by default)' },
  'verify-url': { type: 'string', arg: 'URL', help: 'the platform API (default https://api.chatbotplatform.io or $SK_SCAN_VERIFY_URL); https, or http to loopback', together: withVerify },
  'verify-timeout': { type: 'string', arg: 'SECONDS', help: `per request (default ${DEFAULT_VERIFY_TIMEOUT_MS / 1000})`, valid: seconds('verify-timeout'), together: withVerify },
  'verify-deadline': { type: 'string', arg: 'SECONDS', help: `for all verification (default ${DEFAULT_VERIFY_DEADLINE_MS / 1000})`, valid: seconds('verify-deadline'), together: withVerify },
  'fail-on': {
    type: 'string',
    arg: 'any|active',
    help: 'exit 1 on any finding (default), or only on keys --verify confirmed live',
    output: true,
    valid: (v) => (v === 'any' || v === 'active' ? null : `--fail-on takes any or active, not '${v}'`),
    together: (given) => (given['fail-on'] === 'active' && !given['verify'] ? '--fail-on active needs --verify: without it no key is confirmed live' : null),
  },
  threads: { type: 'string', arg: 'N', help: 'detection threads (default: one per core for dir, one for git)', output: true, valid: wholeNumber('threads') },
  quiet: { type: 'boolean', short: 'q', help: 'no progress display (shown only on a terminal, outside CI)', output: true },
  ...HELP_FLAG,
} satisfies Flags;

/** The flags every scan takes, as parsed and checked. */
export type ScanFlags = FlagValues<typeof SCAN_FLAGS>;
