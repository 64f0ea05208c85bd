/**
 * Reading YAML with positions, so that every problem in a rule or config file is
 * reported as `file:line: what is wrong`.
 */
import type { Node } from 'yaml';
import { locatedError } from '../common/errors.js';
import { requirePackage } from '../common/require.js';

const { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } = requirePackage('yaml') as typeof import('yaml');

export class YamlFile {
  private readonly lines = new LineCounter();
  readonly root: Node | null;
  private readonly doc: import('yaml').Document;

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0].line ?? this.lineAt(first.pos[0]);
      throw locatedError(file, line, `invalid YAML: ${first.message.split('\n')[0] ?? ''}`);
    }
    this.doc = doc;
    this.root = doc.contents ?? null;
  }

  /** A node itself, or what an alias (`*replace`) names: anchors let one file say a thing once. */
  private deref(node: Node | null | undefined): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node ?? null;
  }

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  lineOf(node: Node | null | undefined): number | null {
    return node?.range ? this.lineAt(node.range[0]) : null;
  }

  fail(node: Node | null | undefined, problem: string): never {
    throw locatedError(this.file, this.lineOf(node), problem);
  }

  /** The entries of a mapping, with their key nodes for error positions. */
  entries(given: Node | null, what: string): { key: string; keyNode: Node; value: Node | null }[] {
    const node = this.deref(given);
    if (!isMap(node)) this.fail(node, `${what} must be a mapping`);
    return node.items.map((pair) => {
      const keyNode = pair.key as Node;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') this.fail(keyNode, `${what} has a key that is not a string`);
      return { key: keyNode.value, keyNode, value: (pair.value as Node | null) ?? null };
    });
  }

  isMapping(given: Node | null): boolean {
    const node = this.deref(given);
    return isMap(node);
  }

  items(given: Node | null, what: string): Node[] {
    const node = this.deref(given);
    if (!isSeq(node)) this.fail(node, `${what} must be a list`);
    return node.items as Node[];
  }

  string(given: Node | null, what: string): string {
    const node = this.deref(given);
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') this.fail(node, `${what} must be a non-empty string`);
    return node.value;
  }

  /** A scalar's value (string, number, boolean, null), or undefined for a collection. */
  scalar(given: Node | null): unknown {
    const node = this.deref(given);
    return isScalar(node) ? node.value : undefined;
  }

  number(given: Node | null, what: string): number {
    const node = this.deref(given);
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) this.fail(node, `${what} must be a number`);
    return node.value;
  }

  strings(node: Node | null, what: string): string[] {
    return this.items(node, what).map((item) => this.string(item, `each entry of ${what}`));
  }

  /** Mapping entries keyed by name, rejecting keys not in `known` (a typo should not pass silently). */
  fields(node: Node | null, what: string, known: readonly string[]): Map<string, { keyNode: Node; value: Node | null }> {
    const out = new Map<string, { keyNode: Node; value: Node | null }>();
    for (const { key, keyNode, value } of this.entries(node, what)) {
      if (!known.includes(key)) this.fail(keyNode, `unknown field \`${excerpt(key)}\` in ${what} (expected one of: ${known.join(', ')})`);
      out.set(key, { keyNode, value });
    }
    return out;
  }
}

/** A short quote of text from a file: what is enough to find it, never a whole line of someone's file. */
function excerpt(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}…` : text;
}
