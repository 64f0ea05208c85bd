/**
 * What to do about a finding, in the order to do it, from the platform's own
 * key documentation and this finding's facts:
 *
 * - revoking is Delete under team settings → API Keys and takes effect at once;
 * - rotating is: create a new key with the same (or fewer) scopes, deploy it,
 *   confirm every service works, then delete the old one;
 * - keys belong in environment variables or a secrets manager, never in code,
 *   one key per environment, with the fewest scopes that work.
 *
 * Each step has an id, a short form (the text report prints each step once,
 * for all the keys it applies to) and a long form (the JSON's `remediation`,
 * `--explain`), which names the key.
 */
import type { GitPlace } from '../sources/types.js';
import { shellQuote } from '../common/text.js';
import type { VerificationStatus } from '../verify/spec.js';

/**
 * Where a key is, as far as the advice goes: still in the files (or HEAD), only
 * in git history, in a commit or tag message, in a file or folder name, staged
 * (in no commit yet), in a dangling blob (staged once, never committed), in
 * a container image, or inside an archive in the files.
 */
export type Place = 'present' | 'history' | 'message' | 'tag' | 'name' | 'staged' | 'dangling' | 'image' | 'archive';

export interface RemediationFacts {
  kind: string;
  /** The key's last four characters, to find it in the dashboard's list. */
  last4: string;
  environment: string | null;
  /** What --verify learned; `unchecked` without it. */
  status: VerificationStatus;
  place: Place;
  /** A custom rule's own steps, used as they are. */
  custom?: string[];
  /** The file the key is in, where there is one: a `.env` file the advice is about stopping to track. */
  path?: string | null;
}

export interface Step {
  /** The same id is the same advice: the text report prints it once. */
  id: string;
  short: string;
  long: string;
}

/** Where a finding's (or an origin's) key is, for the advice: in an image, a name, an archive in the files, or where `git` says (the rest are in the files). */
export function placeOf(at: { git?: GitPlace; inName?: true; image?: unknown; member?: string }): Place {
  const { git } = at;
  if (at.image !== undefined) return 'image';
  if (at.inName) return 'name';
  if (at.member !== undefined && (!git || git.atHead)) return 'archive';
  if (git?.in === 'message') return 'message';
  if (git?.in === 'tag') return 'tag';
  if (git?.in === 'index') return 'staged';
  if (git?.in === 'dangling') return 'dangling';
  if (git && !git.atHead) return 'history';
  return 'present';
}

/** A dotenv file (`.env`, `.env.production`, `config/app.env`), not its committed example (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`). */
export function isEnvFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (/\.(example|sample|template|dist|defaults)$/.test(name) || /^\.env\.(example|sample|template|dist|defaults)\b/.test(name)) return false;
  return name === '.env' || name.startsWith('.env.') || name.endsWith('.env');
}

/** Only on this machine: a key never committed need not be revoked, unless it was copied elsewhere. */
export function isLocalOnly(place: Place): boolean {
  return place === 'staged' || place === 'dangling';
}

const REVOKE_WHERE = 'in the dashboard open team settings → API Keys';

export function steps(f: RemediationFacts): Step[] {
  if (f.custom && f.custom.length > 0) return f.custom.map((text, i) => ({ id: `custom:${i}:${text}`, short: text, long: text }));
  const which = f.last4 ? `the key ending in ${f.last4}` : 'the key';
  const out: Step[] = [];
  const local = isLocalOnly(f.place);

  if (f.kind === 'webhook') {
    if (!local) {
      out.push({
        id: 'webhook',
        short: 'Set a new signing secret where the webhook is configured and in the service that checks X-Chatbot-Signature: with the old one anyone can forge requests.',
        long: 'Treat the signing secret as known: whoever has it can forge webhook requests that pass the X-Chatbot-Signature check. Set a new secret where the webhook is configured and in the service that verifies the signatures.',
      });
    }
  } else if (f.status === 'inactive') {
    out.push({
      id: 'inactive',
      short: 'No emergency: the platform says the key no longer works. Remove it so nobody mistakes it for a live one.',
      long: `No emergency: the platform says ${which} no longer works (revoked or expired). Remove it from the code so nobody mistakes it for a live key.`,
    });
  } else if ((f.kind === 'live' || f.kind === 'test') && !local) {
    const revoke = `${REVOKE_WHERE}, find ${which} and click Delete. Deleted keys stop working at once.`;
    if (f.status === 'active') {
      out.push({ id: 'revoke-active', short: 'Revoke first: the platform says these work. Dashboard → team settings → API Keys → Delete; a deleted key stops at once.', long: `This key works right now. Revoke it first: ${revoke}` });
    } else if (f.kind === 'test') {
      out.push({ id: 'rotate-test', short: 'Sandbox keys touch no production data: lower priority, but rotate them too.', long: `Lower priority (a sandbox key does not touch production data), but still rotate it: ${revoke}` });
    } else {
      out.push({ id: 'revoke', short: 'Revoke now: dashboard → team settings → API Keys → Delete. A deleted key stops working at once.', long: `Revoke it now: ${revoke}` });
    }
    out.push(
      {
        id: 'replace',
        short: 'Create a replacement with only the scopes its service needs, one key per environment; deploy it and check every service.',
        long: `Create a replacement${f.environment ? ` for ${f.environment}` : ''} with only the scopes its service needs (bots:read rather than admin, say), and a separate key for each environment. Deploy it and confirm every service that used the old key works with the new one.`,
      },
    );
  } else if (!local && f.kind !== 'live' && f.kind !== 'test') {
    out.push({ id: 'exposed', short: 'Treat it as exposed: revoke or rotate it with whoever issued it.', long: 'Treat this secret as exposed: revoke or rotate it with whoever issued it.' });
  }
  const where = placeStep(f);
  if (where) out.push(where);
  return out;
}

/** The step that depends on where the key is. */
function placeStep(f: RemediationFacts): Step | null {
  const variable = f.kind === 'webhook' ? 'WEBHOOK_SECRET' : 'CHATBOT_API_KEY';
  switch (f.place) {
    case 'name':
      return { id: 'name', short: 'It is in a file or folder name: rename it (git mv). A name is as public as what the file holds.', long: 'It is in a file or folder name: rename it (git mv), and remember a name is as public as what the file holds, in every clone and in history.' };
    case 'present':
      if (f.path && isEnvFile(f.path)) {
        return {
          id: 'untrack',
          short: 'It is in a .env file git tracks: stop tracking it (git rm --cached FILE), add the file to .gitignore, and commit a .env.example with placeholders instead.',
          long: `It is in a .env file that git tracks. Stop tracking it and keep it out: git rm --cached ${shellQuote(f.path)} && echo ${shellQuote(`/${f.path}`)} >> .gitignore; then commit a .env.example that lists the same names with placeholder values, and let each machine keep its real .env (or its environment) to itself.`,
        };
      }
      return {
        id: 'move',
        short: 'Take it out of the code: read it from an environment variable (CHATBOT_API_KEY, WEBHOOK_SECRET) or a secrets manager.',
        long: `Move it out of the code: read it from an environment variable (${variable}) or a secrets manager, and delete the literal from this file.`,
      };
    case 'staged':
      return {
        id: 'staged',
        short: 'Only staged, so it has not left this machine (unless copied elsewhere): take it out of the file, read an environment variable or a secrets manager instead, and git add the file again.',
        long: `It is only staged, in no commit: it has not left this machine unless you copied it elsewhere. Take it out of the file, read it from an environment variable (${variable}) or a secrets manager, and git add the file again. If it was ever shared, rotate it.`,
      };
    case 'dangling':
      return {
        id: 'dangling',
        short: 'Never committed: a blob staged once and dropped, in this clone only. git gc --prune=now removes it; rotate the key only if it was copied anywhere else.',
        long: 'It was staged once and never committed: the blob is only in this clone\'s object store (it is never pushed), until git gc --prune=now removes it. Rotate the key only if it was copied anywhere else.',
      };
    case 'archive':
      return {
        id: 'archive',
        short: 'It is inside an archive (a package, a jar, a tarball): take it out of the sources the archive is built from, rebuild the archive, and replace the old one wherever it was published.',
        long: `It is inside an archive, which was built from files that held it: take the key out of those sources (read it from an environment variable, ${variable}, or a secrets manager at run time), rebuild the archive, and replace the old one in this repository and wherever it was published (a registry, a release page).`,
      };
    case 'image':
      return {
        id: 'image',
        short: 'It is in a container image, and whoever pulled it has the key. Rebuild without it (pass it at run time: an environment variable or a mounted secret, never ENV, ARG or COPY) and delete the old image from every registry.',
        long: 'It is baked into a container image: whoever pulled the image has the key, and a file a later layer deletes is still in the layer that added it. Rebuild the image without it: give the key to the container at run time (an environment variable, or a mounted secret such as docker build --secret), never through ENV, ARG or COPY. Then delete the old image\'s tags and digests from every registry that holds them.',
      };
    case 'message':
      return { id: 'message', short: 'It is in a commit message, which cannot change without rewriting history: rotating the key is the fix.', long: 'It is in a commit message, which cannot change without rewriting history: rotating the key is the fix.' };
    case 'tag':
      return {
        id: 'tag',
        short: "It is in an annotated tag's message: rotate the key; to remove it too, delete the tag and create it again (--explain).",
        long: "It is in an annotated tag's message: rotating the key is the fix, since whoever fetched the tag has it. To also remove it, delete the tag (git tag -d, then git push --delete on each remote) and create it again with a clean message.",
      };
    case 'history':
      if (f.status === 'inactive') return null;
      return {
        id: 'history',
        short: 'Only in history now: rotating is the fix, since rewriting history does not un-leak a pushed key (--explain: how to purge it too).',
        long: 'It is only in git history now, and rotating is the fix: once pushed, rewriting history does not un-leak a key. To also purge it, run git filter-repo --replace-text on a fresh clone, force-push, and have everyone re-clone.',
      };
  }
}

/** The steps' long forms: a finding's `remediation` in the report. */
export function remediation(f: RemediationFacts): string[] {
  return steps(f).map((s) => s.long);
}
