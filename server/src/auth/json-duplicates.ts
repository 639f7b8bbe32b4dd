/**
 * Finds repeated member names in a JSON text that `JSON.parse` has already accepted. `JSON.parse` keeps the
 * last of two equal names silently, and no maintained npm package answers just this question without
 * replacing the parser, so this is a small scanner of its own: it walks the text once, decodes each member
 * name (so `"a"` and `"\u0061"` are the same name) and compares it with the names already seen in the same
 * object. It assumes valid JSON and never throws on it.
 */
export function hasDuplicateMembers(text: string): boolean {
  let i = 0;
  const skipWhitespace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const readString = (): string => {
    const start = i++;
    let escaped = false;
    while (text[i] !== '"') {
      if (text[i] === '\\') {
        escaped = true;
        i++;
      }
      i++;
    }
    i++;
    const raw = text.slice(start, i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  // Returns true as soon as a duplicate is found.
  const value = (): boolean => {
    skipWhitespace();
    const c = text[i];
    if (c === '"') {
      readString();
      return false;
    }
    if (c === '{') {
      i++;
      const names = new Set<string>();
      skipWhitespace();
      if (text[i] === '}') {
        i++;
        return false;
      }
      for (;;) {
        skipWhitespace();
        const name = readString();
        if (names.has(name)) return true;
        names.add(name);
        skipWhitespace();
        i++; // ':'
        if (value()) return true;
        skipWhitespace();
        if (text[i++] === '}') return false;
      }
    }
    if (c === '[') {
      i++;
      skipWhitespace();
      if (text[i] === ']') {
        i++;
        return false;
      }
      for (;;) {
        if (value()) return true;
        skipWhitespace();
        if (text[i++] === ']') return false;
      }
    }
    // A number, true, false or null.
    while (i < text.length && !',]} \n\r\t'.includes(text[i]!)) i++;
    return false;
  };
  return value();
}
