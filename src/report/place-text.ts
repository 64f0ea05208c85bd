/** A finding's place in words, for the text report: where it is, the commit that brought it, what is unusual about it. */
import { printable, quotePath } from '../common/text.js';
import { filePath } from '../sources/origin.js';
import { placeOfFinding } from './advice.js';
import { placeLabel } from './format.js';
import type { Finding } from './model.js';

/** After a place: the commit that brought the key in, and what is unusual about it. */
export function placeNote(f: Finding): string {
  const note = gitNote(f);
  if (!f.allowedInRepository) return note;
  return `${note || ' '} · allowed in the repository (sk-scan:allow${f.allowedInRepository.reason ? ` -- ${printable(f.allowedInRepository.reason)}` : ''})`;
}

function gitNote(f: Finding): string {
  if (f.image !== undefined) return imageNote(f.image);
  if (f.git === undefined) return '';
  const place = placeOfFinding(f);
  if (place === 'dangling') return '  staged once, never committed';
  if (place === 'staged') return '  staged, in no commit yet';
  const by = [f.commit && f.git.in !== 'message' ? f.commit.slice(0, 7) : '', f.date?.slice(0, 10) ?? '', f.author ? printable(f.author.replace(/ <[^>]*>$/, '')) : ''].filter(Boolean).join(' ');
  const unreachable = f.git.unreachable ? ' (unreachable: on no branch or tag)' : '';
  return by || unreachable ? `  ${by}${unreachable}` : '';
}

/** `  deleted in layer 5, still in layer 3 of the image`. */
function imageNote(img: NonNullable<Finding['image']>): string {
  if (img.layer === null) return `  in the image config${img.file === 'config/history' ? ' (its build history)' : ''}`;
  if (img.deletedIn !== undefined) return `  deleted in layer ${img.deletedIn}, still in layer ${img.layer} of the image`;
  if (img.replacedIn !== undefined) return `  replaced in layer ${img.replacedIn}, still in layer ${img.layer} of the image`;
  return `  layer ${img.layer} of ${img.layers}`;
}

/** For --explain: which commit brought the key in, which refs reach it, whether it is still there. */
export function historyLine(f: Finding): string | null {
  if (f.git === undefined) return null;
  const place = placeOfFinding(f);
  if (place === 'dangling') return `a blob staged once and never committed (dangling): only in this clone's object store`;
  if (place === 'staged') return 'staged in the index, in no commit yet';
  const parts: string[] = [];
  const by = `${f.date ? ` (${f.date.slice(0, 10)})` : ''}${f.author ? ` by ${printable(f.author)}` : ''}`;
  if (f.git.in === 'tag') parts.push(`tagged${by}${f.commit ? `, on commit ${f.commit.slice(0, 12)}` : ''}`);
  else if (f.commit && f.git.in !== 'message') parts.push(`commit ${f.commit.slice(0, 12)}${by}`);
  if (f.git.unreachable) parts.push('unreachable: on no branch or tag, still in the object store');
  else if (f.git.refs && f.git.refs.length > 0) parts.push(`on ${f.git.refs.slice(0, 3).map(printable).join(', ')}${f.git.refs.length > 3 ? ', …' : ''}`);
  parts.push(f.git.atHead ? (f.git.unreachable ? 'the same key is also in HEAD' : 'still in HEAD') : 'not in HEAD (history only)');
  return parts.join(' · ');
}

/** `src/app.js:3:7`, or the place a key without a path is in, with the target when several are scanned. */
export function where(f: Finding, withTarget: boolean): string {
  const prefix = withTarget && f.target ? `${quotePath(f.target)}: ` : '';
  if (f.path === null) return `${prefix}${placeLabel(f)}, line ${f.line}:${f.column}`;
  const encoded = f.secret.encoding ? ` (in ${f.secret.encoding})` : '';
  return f.inName ? `${prefix}${quotePath(f.path)} (the key is in the name)` : `${prefix}${quotePath(filePath(f) as string)}:${f.line}:${f.column}${encoded}`;
}
