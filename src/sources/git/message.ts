/** Where a commit's or an annotated tag's message starts: after the blank line that ends its header (its length when it has none). */
export function messageStart(object: Buffer): number {
  const blank = object.indexOf('\n\n');
  return blank === -1 ? object.length : blank + 2;
}
