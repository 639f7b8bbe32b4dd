/**
 * What a search of the inbox (`q`) asks for, read the same way for SQLite and PostgreSQL: its words, each a
 * prefix, all of which must be found. Nothing the user types is ever handed to the database as query syntax:
 * a word is made of letters, digits and combining marks only, so neither FTS5's operators (`"`, `*`, `NEAR`,
 * `OR`, `-`, `:`, `(`) nor tsquery's (`&`, `|`, `!`, `<->`, `:*`) can appear in one; `OR` and `NEAR` are words
 * like any other.
 */

/** At most this many words count; the ones after are ignored. */
export const MAX_SEARCH_WORDS = 8;

/**
 * A word, as both full-text indexes cut text into words (migration 0008_search): a run of Unicode letters,
 * digits, private-use characters and combining marks (FTS5's unicode61 tokenizer with categories
 * 'L* N* Co M*'; the same text with ASCII punctuation turned into spaces for PostgreSQL's parser).
 */
const WORD = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

/**
 * The words of a search, in the order typed (NFC, since stored text is usually composed; case is left to
 * the databases, which fold the query the way they fold the text): duplicates (ignoring case) dropped, at
 * most `MAX_SEARCH_WORDS`. An input without a letter or a digit answers no word, which finds nothing.
 */
export function searchWords(q: string): string[] {
  const words: string[] = [];
  const seen = new Set<string>();
  for (const [word] of q.normalize('NFC').matchAll(WORD)) {
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    words.push(word);
    if (words.length === MAX_SEARCH_WORDS) break;
  }
  return words;
}

/** FTS5's query for one word as a prefix: a quoted string followed by `*` (https://www.sqlite.org/fts5.html#fts5_prefix_queries). */
export function fts5Prefix(word: string): string {
  return `"${word.replaceAll('"', '""')}"*`;
}

/** PostgreSQL's `to_tsquery` text for one word as a prefix (https://www.postgresql.org/docs/current/textsearch-controls.html#TEXTSEARCH-PARSING-QUERIES). */
export function tsqueryPrefix(word: string): string {
  return `'${word.replaceAll("'", "''")}':*`;
}

/**
 * How both databases cut stored text into words; the words of a query (`searchWords`) are cut the same way.
 * SQLite: FTS5's unicode61 tokenizer, accents kept (PostgreSQL's `simple` configuration keeps them too),
 * combining marks inside words (Devanagari vowel signs, Arabic harakat) rather than between them.
 */
export const SQLITE_TOKENIZE = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'";

/**
 * PostgreSQL: ASCII punctuation becomes a space before the `simple` configuration reads the text, so that its
 * parser sees words only (it would otherwise keep `alice@example.com`, `self-service` or `12.5` whole, where
 * FTS5 sees `alice`, `example`, `com`). A regular expression of PostgreSQL, for a literal in SQL.
 */
export const POSTGRES_ASCII_PUNCTUATION = '[!-/:-@[-`{-~]+';

/**
 * What PostgreSQL indexes of each table, as SQL over its unqualified columns (a search names the columns the
 * same way, so that its expression is the index's).
 */
export const POSTGRES_SEARCH_TEXT = {
  messages: 'text',
  conversations: "coalesce(title, '')",
  users: "coalesce(name, '') || ' ' || coalesce(email, '')",
} as const;

/**
 * The words of a column's text for PostgreSQL, as SQL: the expression its GIN index is built on (migration
 * 0008_search) and that a search must repeat exactly for the planner to use that index. `expression` is SQL
 * written in the code (a column), never input.
 */
export function postgresSearchVector(expression: string): string {
  return `to_tsvector('simple'::regconfig, regexp_replace(${expression}, '${POSTGRES_ASCII_PUNCTUATION}', ' ', 'g'))`;
}

/** An opaque cursor of ranked results: how many came before the next page (`s1.<offset>`). */
export function encodeSearchCursor(offset: number): string {
  return `s1.${offset}`;
}

/** The offset of a cursor from `encodeSearchCursor`, or undefined for anything else. */
export function decodeSearchCursor(raw: string): number | undefined {
  const match = /^s1\.([1-9]\d{0,6})$/.exec(raw);
  return match ? Number(match[1]) : undefined;
}
