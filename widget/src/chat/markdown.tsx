/**
 * A safe subset of Markdown (docs/security.md, Content) rendered to Preact nodes, never to an HTML string:
 * paragraphs, line breaks, **bold**, *italic*, `code`, fenced code blocks, bulleted and numbered lists (nested
 * by indentation, and right after a line of text as in CommonMark), and links to http(s) and mailto addresses
 * only. Anything else (HTML included) is text.
 */
import type { ComponentChildren } from 'preact';

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*)|(\[[^\]\n]{1,500}\]\(((?:https?:\/\/|mailto:)[^\s)]{1,2000})\))|(https?:\/\/[^\s<]{1,2000}[^\s<.,;:!?)\]'"])/g;
/** A list item's line: its indentation, its marker (`-`, `*`, or a number and `.` or `)`), its text. */
const ITEM = /^( *)(?:([-*])|(\d{1,3})[.)])[ \t]+(.*)$/;
/** How much deeper than its list an item must be indented to start a list inside the item above it. */
const NEST = 2;
/** Lists deeper than this are kept at this depth: a message cannot build an arbitrarily deep tree. */
const MAX_DEPTH = 6;

function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    const [whole, code, bold, italic, link, href, bare] = match;
    if (code) out.push(<code>{code.slice(1, -1)}</code>);
    else if (bold) out.push(<strong>{bold.slice(2, -2)}</strong>);
    else if (italic) out.push(<em>{italic.slice(1, -1)}</em>);
    else if (link && href) out.push(<a href={href} target="_blank" rel="noopener noreferrer nofollow">{link.slice(1, link.indexOf(']('))}</a>);
    else if (bare) out.push(<a href={bare} target="_blank" rel="noopener noreferrer nofollow">{bare}</a>);
    last = index + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function lines(rows: string[]): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  rows.forEach((line, i) => {
    if (i > 0) out.push(<br />);
    out.push(...inline(line));
  });
  return out;
}

interface List {
  ordered: boolean;
  /** The number of an ordered list's first item. */
  start: number;
  indent: number;
  items: Item[];
}
/** An item's runs of text lines and the lists nested in it, in order. */
interface Item {
  parts: (string[] | List)[];
}
type Block = { type: 'p'; text: string[] } | { type: 'list'; list: List };

const indentOf = (line: string) => line.length - line.trimStart().length;

/**
 * The paragraphs and lists of a run of lines without a blank one. A numbered line interrupts a paragraph
 * only when it is "1." (as in CommonMark), so a sentence that happens to start with "42." stays a sentence.
 */
function blocks(rows: string[]): Block[] {
  const out: Block[] = [];
  let paragraph: string[] | null = null;
  /** The open lists, outermost first. */
  let open: List[] = [];

  for (const raw of rows) {
    const row = raw.replace(/\t/g, '    ');
    const match = ITEM.exec(row);
    const number = match?.[3] === undefined ? null : Number(match[3]);
    if (match && !(paragraph && open.length === 0 && number !== null && number !== 1)) {
      paragraph = null;
      const indent = match[1]!.length;
      const ordered = number !== null;
      const item: Item = { parts: [[match[4]!]] };
      // Close the nested lists this item is outside of.
      while (open.length > 1 && indent < open[open.length - 1]!.indent) open.pop();
      const top = open[open.length - 1];
      const parent = top?.items[top.items.length - 1];
      if (top && parent && indent >= top.indent + NEST && open.length < MAX_DEPTH) {
        const nested: List = { ordered, start: number ?? 1, indent, items: [item] };
        parent.parts.push(nested);
        open.push(nested);
      } else if (top && top.ordered === ordered) {
        top.items.push(item);
      } else {
        // Another kind of list at the same level: a new list beside it.
        const list: List = { ordered, start: number ?? 1, indent: top?.indent ?? indent, items: [item] };
        open.pop();
        const holder = open[open.length - 1];
        if (holder) holder.items[holder.items.length - 1]!.parts.push(list);
        else out.push({ type: 'list', list });
        open.push(list);
      }
      continue;
    }
    const indent = indentOf(row);
    if (open.length > 0 && indent >= NEST) {
      // Indented text continues the deepest item it is indented under.
      while (open.length > 1 && indent < open[open.length - 1]!.indent + NEST) open.pop();
      const parts = open[open.length - 1]!.items.at(-1)!.parts;
      const last = parts[parts.length - 1];
      if (Array.isArray(last)) last.push(row.trim());
      else parts.push([row.trim()]);
      continue;
    }
    open = [];
    if (!paragraph) out.push({ type: 'p', text: (paragraph = []) });
    paragraph.push(row);
  }
  return out;
}

function ListView({ list }: { list: List }): ComponentChildren {
  const items = list.items.map((item) => (
    <li>{item.parts.map((part) => (Array.isArray(part) ? lines(part) : <ListView list={part} />))}</li>
  ));
  return list.ordered ? <ol start={list.start === 1 ? undefined : list.start}>{items}</ol> : <ul>{items}</ul>;
}

function textBlocks(text: string): ComponentChildren[] {
  return text
    .split(/\n{2,}/)
    .filter((chunk) => chunk.trim() !== '')
    .flatMap((chunk) =>
      blocks(chunk.replace(/^\n+|\s+$/g, '').split('\n')).map((block) => {
        if (block.type === 'list') return <ListView list={block.list} />;
        const paragraph = block.text.join('\n').trim();
        return <p>{lines(paragraph.split('\n'))}</p>;
      }),
    );
}

export function Markdown({ text }: { text: string }) {
  const parts = text.split(/```/);
  return (
    <div class="md">
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          // Focusable: a long line scrolls the block sideways, and keyboard users must be able to scroll it too.
          <pre tabIndex={0}>
            <code>{part.replace(/^\w*\n/, '')}</code>
          </pre>
        ) : (
          textBlocks(part)
        ),
      )}
    </div>
  );
}
