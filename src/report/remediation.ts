/**
 * What to do about a finding, in the order to do it, from the platform's own
 * key documentation and this finding's facts:
 *
 * - revoking is Delete under team settings → API Keys and takes effect at once;
 * - rotating is: create a new key with the same (or fewer) scopes, deploy it,
 *   confirm every service works, then delete the old one;
 * - keys belong in environment variables or a secrets manager, never in code,
 *   one key per environment, with the fewest scopes that work.
 */
import type { GitPlace } from '../sources/types.js';
import type { VerificationStatus } from '../verify/spec.js';

export interface RemediationFacts {
  kind: string;
  /** The key's last four characters, to find it in the dashboard's list. */
  last4: string;
  environment: string | null;
  /** What --verify learned; `unchecked` without it. */
  status: VerificationStatus;
  /** Where it is: still in the files (or HEAD), only in git history, in a commit message, an annotated tag's message, or a file or folder name. */
  place: 'present' | 'history' | 'message' | 'tag' | 'name';
  /** A custom rule's own steps, used as they are. */
  custom?: string[];
}

/** Where a finding's key is, for the advice: history findings carry `git`, the rest are in the files. */
export function placeOf(git: GitPlace | undefined): RemediationFacts['place'] {
  if (git?.in === 'message') return 'message';
  if (git?.in === 'tag') return 'tag';
  if (git && git.in !== 'index' && !git.atHead) return 'history';
  return 'present';
}

export function remediation(f: RemediationFacts): string[] {
  if (f.custom && f.custom.length > 0) return f.custom;
  const which = f.last4 ? `the key ending in ${f.last4}` : 'the key';
  const steps: string[] = [];

  if (f.kind === 'webhook') {
    steps.push(
      'Treat the signing secret as known: whoever has it can forge webhook requests that pass the X-Chatbot-Signature check.',
      'Set a new secret where the webhook is configured and in the service that verifies the signatures.',
    );
  } else if (f.status === 'inactive') {
    steps.push(`No emergency: the platform says ${which} no longer works (revoked or expired). Remove it from the code so nobody mistakes it for a live key.`);
  } else if (f.kind === 'live' || f.kind === 'test') {
    const urgency =
      f.kind === 'test'
        ? 'Lower priority (a sandbox key does not touch production data), but still rotate it: '
        : f.status === 'active'
          ? 'This key works right now. Revoke it first: '
          : 'Revoke it now: ';
    steps.push(
      `${urgency}in the dashboard open team settings → API Keys, find ${which} and click Delete. Deleted keys stop working at once.`,
      `Create a replacement${f.environment ? ` for ${f.environment}` : ''} with only the scopes its service needs (bots:read rather than admin, say), and a separate key for each environment.`,
      'Deploy the replacement and confirm every service that used the old key works with the new one.',
    );
  } else {
    steps.push('Treat this secret as exposed: revoke or rotate it with whoever issued it.');
  }

  if (f.place === 'name') {
    steps.push('It is in a file or folder name: rename it (git mv), and remember a name is as public as what the file holds, in every clone and in history.');
  } else if (f.place === 'present') {
    steps.push('Move it out of the code: read it from an environment variable (CHATBOT_API_KEY, WEBHOOK_SECRET) or a secrets manager, and delete the literal from this file.');
  } else if (f.place === 'message') {
    steps.push('It is in a commit message, which cannot change without rewriting history: rotating the key is the fix.');
  } else if (f.place === 'tag') {
    steps.push(
      "It is in an annotated tag's message: rotating the key is the fix, since whoever fetched the tag has it. To also remove it, delete the tag (git tag -d, then git push --delete on each remote) and create it again with a clean message.",
    );
  } else if (f.status !== 'inactive') {
    steps.push(
      'It is only in git history now, and rotating is the fix: once pushed, rewriting history does not un-leak a key. To also purge it, run git filter-repo --replace-text on a fresh clone, force-push, and have everyone re-clone.',
    );
  }
  return steps;
}
