/**
 * What to do about a finding, in the order to do it, from the finding's facts
 * and its rule's advice (rules/*.yaml): what to revoke and how, what the
 * environment variable is called. The steps that depend only on where the key
 * is (a name, an archive, an image, history, a .env file git tracks) are the
 * same for every rule and live here; no vendor's words do.
 *
 * Each step has an id, a short form (the text report prints each step once,
 * for all the keys it applies to) and a long form (the JSON's `remediation`,
 * `--explain`), which names the key.
 */
import type { GitPlace } from '../sources/types.js';
import { shellQuote } from '../common/text.js';
import type { VerificationStatus } from '../verify/spec.js';
import type { Advice, AdviceStep } from '../detect/rule.js';

/**
 * Where a key is, as far as the advice goes: still in the files (or HEAD), only
 * in git history, in a commit or tag message, in a file or folder name, staged
 * (in no commit yet), in a dangling blob (staged once, never committed), in
 * a container image, or inside an archive in the files.
 */
export type Place = 'present' | 'history' | 'message' | 'tag' | 'name' | 'staged' | 'dangling' | 'image' | 'archive';

export interface RemediationFacts {
  /** The rule's advice: its own list of steps, used as they are, or the pieces fitted here; none: advised as exposed. */
  advice: string[] | Advice | undefined;
  /** The key's last four characters, to find it in the issuer's list of keys. */
  last4: string;
  /** What --verify learned; `unchecked` without it. */
  status: VerificationStatus;
  place: Place;
  /** The file the key is in, where there is one: a `.env` file the advice is about stopping to track. */
  path?: string | null;
  /** The file is in a commit (a history scan's place), so git tracks it; otherwise (a working tree) it may not. */
  tracked?: boolean;
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

/** For a rule without advice of its own: whoever issued the secret knows how to revoke it. */
const EXPOSED: AdviceStep = { short: 'Treat it as exposed: revoke or rotate it with whoever issued it.', long: 'Treat this secret as exposed: revoke or rotate it with whoever issued it.' };

export function steps(f: RemediationFacts): Step[] {
  if (Array.isArray(f.advice)) return f.advice.map((text, i) => ({ id: `custom:${i}:${text}`, short: text, long: text }));
  const advice = f.advice ?? {};
  const which = f.last4 ? `the key ending in ${f.last4}` : 'the key';
  const fit = (id: string, step: AdviceStep): Step => ({ id: `${id}:${step.short}`, short: step.short, long: step.long.replaceAll('{key}', which) });
  const out: Step[] = [];
  if (f.status === 'inactive') {
    out.push({
      id: 'inactive',
      short: 'No emergency: its issuer says the key no longer works. Remove it so nobody mistakes it for a live one.',
      long: `No emergency: its issuer says ${which} no longer works (revoked or expired). Remove it from the code so nobody mistakes it for a live key.`,
    });
  } else if (!isLocalOnly(f.place)) {
    if (f.status === 'active' && advice.revokeActive) out.push(fit('revoke-active', advice.revokeActive));
    else out.push(fit('revoke', advice.revoke ?? EXPOSED));
    out.push(...(advice.then ?? []).map((step) => fit('then', step)));
  }
  const where = placeStep(f, advice.variable);
  if (where) out.push(where);
  return out;
}

/** The step that depends on where the key is. */
function placeStep({ place, path, status, tracked }: RemediationFacts, name: string | undefined): Step | null {
  const variable = name === undefined ? 'an environment variable' : `an environment variable (${name})`;
  switch (place) {
    case 'name':
      return { id: 'name', short: 'It is in a file or folder name: rename it (git mv). A name is as public as what the file holds.', long: 'It is in a file or folder name: rename it (git mv), and remember a name is as public as what the file holds, in every clone and in history.' };
    case 'present':
      if (path && isEnvFile(path) && !tracked) {
        // A working tree's file: git may or may not track it, and `git rm --cached` fails on one it does not.
        return {
          id: 'ignore-env',
          short: 'It is in a .env file: add it to .gitignore (and git rm --cached FILE if git already tracks it), and commit a .env.example with placeholders instead.',
          long: `It is in a .env file: keep it out of git with echo ${shellQuote(`/${path}`)} >> .gitignore (and git rm --cached ${shellQuote(path)} if git already tracks it); then commit a .env.example that lists the same names with placeholder values, and let each machine keep its real .env (or its environment) to itself.`,
        };
      }
      if (path && isEnvFile(path)) {
        return {
          id: 'untrack',
          short: 'It is in a .env file git tracks: stop tracking it (git rm --cached FILE), add the file to .gitignore, and commit a .env.example with placeholders instead.',
          long: `It is in a .env file that git tracks. Stop tracking it and keep it out: git rm --cached ${shellQuote(path)} && echo ${shellQuote(`/${path}`)} >> .gitignore; then commit a .env.example that lists the same names with placeholder values, and let each machine keep its real .env (or its environment) to itself.`,
        };
      }
      return {
        id: 'move',
        short: 'Take it out of the code: read it from an environment variable or a secrets manager.',
        long: `Move it out of the code: read it from ${variable} or a secrets manager, and delete the literal from this file.`,
      };
    case 'staged':
      return {
        id: 'staged',
        short: 'Only staged, so it has not left this machine (unless copied elsewhere): take it out of the file, read an environment variable or a secrets manager instead, and git add the file again.',
        long: `It is only staged, in no commit: it has not left this machine unless you copied it elsewhere. Take it out of the file, read it from ${variable} or a secrets manager, and git add the file again. If it was ever shared, rotate it.`,
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
        long: `It is inside an archive, which was built from files that held it: take the key out of those sources (read it from ${variable} or a secrets manager at run time), rebuild the archive, and replace the old one in this repository and wherever it was published (a registry, a release page).`,
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
      if (status === 'inactive') return null;
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
