/**
 * `If-None-Match` (RFC 9110 §13.1.2): whether a conditional GET or HEAD may be answered 304 Not Modified.
 */

/** `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`; an etagc may be a comma, so the list is read tag by tag. */
const ENTITY_TAG = /(?:W\/)?"[^"]*"/g;

/**
 * Whether the field `header` matches the current entity tag `etag` by the weak comparison (RFC 9110
 * §8.8.3.2) that If-None-Match uses: `*` matches any current representation; otherwise a listed tag
 * matches when its opaque part equals `etag`'s, `W/` or not. An absent field never matches.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  for (const tag of header.match(ENTITY_TAG) ?? []) {
    if (tag.replace(/^W\//, '') === opaque) return true;
  }
  return false;
}
