/**
 * What a search of the inbox (`q`) asks for, read the same way for SQLite and PostgreSQL: its terms, all of
 * which must be found. A term is what the user typed between spaces, read as its words in a row, the last one
 * a prefix: `printer` finds "printers", `INV-48213` finds "INV-48213" but not every "invoice" next to a
 * "48213", `alice@example.com` finds that address. Nothing the user types is ever handed to the database as
 * query syntax: a word is made of letters, digits and combining marks only, so neither FTS5's operators
 * (`"`, `*`, `NEAR`, `OR`, `-`, `:`, `(`) nor tsquery's (`&`, `|`, `!`, `<->`, `:*`) can appear in one; `OR`
 * and `NEAR` are words like any other.
 */

/** At most this many terms count, and this many words of each; the ones after are ignored. */
export const MAX_SEARCH_WORDS = 8;

/**
 * A word, as both full-text indexes cut text into words (migration 0008_search): a run of Unicode letters,
 * digits, private-use characters and combining marks (FTS5's unicode61 tokenizer with categories
 * 'L* N* Co M*'; the same text with ASCII punctuation turned into spaces for PostgreSQL's parser).
 */
const WORD = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

/**
 * The terms of a search, in the order typed, each its words (NFC, since stored text is usually composed; case
 * is left to the databases, which fold the query the way they fold the text): duplicates (ignoring case)
 * dropped, at most `MAX_SEARCH_WORDS` of them. An input without a letter or a digit answers no term, which
 * finds nothing.
 */
export function searchTerms(q: string): string[][] {
  const terms: string[][] = [];
  const seen = new Set<string>();
  for (const typed of q.normalize('NFC').split(/\s+/u)) {
    const words = [...typed.matchAll(WORD)].map(([word]) => word).slice(0, MAX_SEARCH_WORDS);
    const key = words.join(' ').toLowerCase();
    if (words.length === 0 || seen.has(key)) continue;
    seen.add(key);
    terms.push(words);
    if (terms.length === MAX_SEARCH_WORDS) break;
  }
  return terms;
}

/**
 * FTS5's query for one term: a phrase whose last word is a prefix
 * (https://www.sqlite.org/fts5.html#fts5_phrases, #fts5_prefix_queries).
 */
export function fts5Phrase(words: readonly string[]): string {
  return `"${words.map((word) => word.replaceAll('"', '""')).join(' ')}"*`;
}

/**
 * PostgreSQL's `to_tsquery` text for one term: its words followed by one another, the last a prefix
 * (https://www.postgresql.org/docs/current/textsearch-controls.html#TEXTSEARCH-PARSING-QUERIES).
 */
export function tsqueryPhrase(words: readonly string[]): string {
  return words.map((word, i) => `'${word.replaceAll("'", "''")}'${i === words.length - 1 ? ':*' : ''}`).join(' <-> ');
}

/**
 * SQLite's key of a message in its search index (migration 0009): its conversation's rowid in the high bits,
 * its `seq` in the low 32, so that a search groups its hits by conversation from the key alone. Holds while
 * `seq` stays below `MESSAGE_SEARCH_SEQ_SPAN` (4,294,967,296 messages in one database). SQL, over SQL
 * expressions written in the code (never input).
 */
export const MESSAGE_SEARCH_SEQ_SPAN = 2 ** 32;
export const MESSAGE_SEARCH_ROWID = (conversationRowid: string, seq: string) => `((${conversationRowid} << 32) + ${seq})`;
/** The conversation's rowid in a key of `MESSAGE_SEARCH_ROWID`. */
export const MESSAGE_SEARCH_CONVERSATION = (rowid: string) => `(${rowid} >> 32)`;

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
