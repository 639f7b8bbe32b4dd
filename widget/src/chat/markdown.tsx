/**
 * A safe subset of Markdown (docs/security.md, Content) rendered to Preact nodes, never to an HTML string:
 * paragraphs, line breaks, **bold**, *italic*, `code`, fenced code blocks, bulleted and numbered lists, and
 * links to http(s) and mailto addresses only. Anything else (HTML included) is text.
 */
import type { ComponentChildren } from 'preact';

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*)|(\[[^\]\n]{1,500}\]\(((?:https?:\/\/|mailto:)[^\s)]{1,2000})\))|(https?:\/\/[^\s<]{1,2000}[^\s<.,;:!?)\]'"])/g;
const BULLET = /^\s*[-*]\s+/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+/;

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

function lines(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0) out.push(<br />);
    out.push(...inline(line));
  });
  return out;
}

export function Markdown({ text }: { text: string }) {
  const blocks = text.split(/```/);
  return (
    <div class="md">
      {blocks.map((block, i) =>
        i % 2 === 1 ? (
          <pre>
            <code>{block.replace(/^\w*\n/, '')}</code>
          </pre>
        ) : (
          block
            .split(/\n{2,}/)
            .filter((p) => p.trim() !== '')
            .map((p) => {
              const rows = p.trim().split('\n');
              if (rows.every((r) => BULLET.test(r))) return <ul>{rows.map((r) => <li>{inline(r.replace(BULLET, ''))}</li>)}</ul>;
              if (rows.every((r) => NUMBERED.test(r))) return <ol>{rows.map((r) => <li>{inline(r.replace(NUMBERED, ''))}</li>)}</ol>;
              return <p>{lines(p.trim())}</p>;
            })
        ),
      )}
    </div>
  );
}
