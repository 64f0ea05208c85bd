/**
 * Submodules. A submodule is a repository of its own: the superproject holds
 * only a commit id (a gitlink) and reads none of its history. The
 * repositories git keeps for them in the superproject (`.git/modules/<name>`,
 * a nested one in its parent's `modules/`) are scanned as targets of their
 * own, named in the report; a gitlink whose repository is not there cannot be
 * read, and is counted so (the scan then vouches for nothing it did not read).
 *
 * What the superproject holds is input: folders are read, never followed
 * through a symbolic link, and names come from its `.gitmodules` at HEAD, read
 * as a blob (git config --blob), never from its configuration.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { SkScanError } from '../../common/errors.js';
import type { Git } from '../../gitexec/run.js';
import { openRepo, type Repo } from './repo.js';

/** Deeper than any submodule's name and nesting go. */
const MAX_DEPTH = 12;
/** More module repositories than any superproject keeps. */
const MAX_MODULES = 1000;

export interface ModuleRepo {
  /** Its name under `modules/` (`vendor/lib`; a nested one `vendor/lib/modules/deps/x`). */
  name: string;
  /** Its git directory. */
  gitDir: string;
}

/** Every submodule repository kept under `commonDir/modules`, nested ones too. */
export function moduleRepos(commonDir: string): ModuleRepo[] {
  const root = join(commonDir, 'modules');
  const out: ModuleRepo[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH || out.length >= MAX_MODULES || !isRealDir(dir)) return;
    if (isGitDir(dir)) {
      out.push({ name: relative(root, dir).split(sep).join('/'), gitDir: dir });
      walk(join(dir, 'modules'), depth + 1);
      return;
    }
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) walk(join(dir, name), depth + 1);
  };
  walk(root, 0);
  return out;
}

/** The name git keeps each submodule's repository under, by the submodule's path: `.gitmodules` at HEAD says; else the path itself. */
export async function moduleNames(git: Git): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let text = '';
  try {
    text = await git.text(['config', '--blob', 'HEAD:.gitmodules', '--get-regexp', '^submodule\\..*\\.path$']);
  } catch {
    return names; // no .gitmodules at HEAD: git names a submodule by its path
  }
  for (const line of text.split('\n')) {
    const m = /^submodule\.(.+)\.path (.+)$/.exec(line);
    if (m) names.set(m[2] as string, m[1] as string);
  }
  return names;
}

/**
 * Whether the submodule at `path` has its repository among those the walk
 * found (and so scans): a name that climbs out of `modules/`, or a repository
 * reached through a link, is not one, whatever `.gitmodules` says.
 */
export function hasModule(found: readonly ModuleRepo[], path: string, names: Map<string, string>): boolean {
  const name = names.get(path) ?? path;
  return found.some((m) => m.name === name);
}

function isRealDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A git directory: HEAD, and a folder of objects. */
function isGitDir(dir: string): boolean {
  try {
    return lstatSync(join(dir, 'HEAD')).isFile() && lstatSync(join(dir, 'objects')).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The submodules' repositories the given ones keep, opened as targets of
 * their own, each named by its git directory (a path `sk-scan git` takes);
 * one that cannot be opened is set aside with why, as any target is.
 */
export async function openSubmodules(repos: Repo[]): Promise<{ repos: Repo[]; failed: { target: string; message: string }[] }> {
  const opened: Repo[] = [];
  const failed: { target: string; message: string }[] = [];
  for (const superproject of repos) {
    if (superproject.temporary || superproject.skipSubmodules) continue;
    for (const module of moduleRepos(superproject.commonDir)) {
      const target = label(module.gitDir);
      try {
        opened.push({ ...(await openRepo(module.gitDir)), given: target });
      } catch (err) {
        if (!(err instanceof SkScanError)) throw err;
        failed.push({ target, message: `submodule ${module.name} of ${superproject.given}: ${err.message}` });
      }
    }
  }
  return { repos: opened, failed };
}

/** A path as the user would type it: relative to the current folder when inside it. */
function label(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
