// @vitest-environment happy-dom
/** The safe Markdown subset (widget/src/chat/markdown.tsx): what becomes an element and what stays text. */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Markdown } from '../../widget/src/chat/markdown.js';
import { addContainer, removeContainer } from '../helpers/dom.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => removeContainer(container));

function md(text: string): HTMLElement {
  render(<Markdown text={text} />, container);
  const root = container.querySelector<HTMLElement>('div.md');
  if (!root) throw new Error('Markdown rendered no div.md');
  return root;
}

/** Every element below the root, by tag name, in document order. */
const tags = (root: Element) => [...root.querySelectorAll('*')].map((e) => e.tagName.toLowerCase());

describe('Markdown', () => {
  it('renders bold, italic and inline code as elements', () => {
    const root = md('a **bold** and *italic* with `co*de*`');
    expect(tags(root)).toEqual(['p', 'strong', 'em', 'code']);
    expect(root.querySelector('strong')?.textContent).toBe('bold');
    expect(root.querySelector('em')?.textContent).toBe('italic');
    expect(root.querySelector('code')?.textContent).toBe('co*de*');
    expect(root.textContent).toBe('a bold and italic with co*de*');
  });

  it('renders [text](https://…) and bare http(s) URLs as safe links', () => {
    const root = md('see [the docs](https://example.com/docs?a=1&b=2) or http://example.org/x.');
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['the docs', 'https://example.com/docs?a=1&b=2'],
      ['http://example.org/x', 'http://example.org/x'],
    ]);
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    }
    // The sentence's full stop stays outside the bare link.
    expect(root.textContent).toBe('see the docs or http://example.org/x.');
  });

  it('renders paragraphs, line breaks and fenced code blocks', () => {
    const root = md('one\ntwo\n\nthree\n```js\nconst x = "**no**";\n```');
    expect(tags(root)).toEqual(['p', 'br', 'p', 'pre', 'code']);
    expect([...root.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['onetwo', 'three']);
    expect(root.querySelector('pre code')?.textContent).toBe('const x = "**no**";\n');
  });

  it('shows <script> as text and creates no element for it', () => {
    const text = '<script>alert(1)</script>';
    const root = md(text);
    expect(container.querySelector('script')).toBeNull();
    expect(tags(root)).toEqual(['p']);
    expect(root.textContent).toBe(text);
  });

  it('shows <img onerror> as text and creates no element for it', () => {
    const text = 'look <img src=x onerror="alert(1)"> **here**';
    const root = md(text);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('[onerror]')).toBeNull();
    expect(tags(root)).toEqual(['p', 'strong']);
    expect(root.textContent).toBe('look <img src=x onerror="alert(1)"> here');
  });

  it('keeps HTML inside bold, code and code blocks as text', () => {
    const root = md('**<b>x</b>** `<i>y</i>`\n\n```\n<iframe src="https://evil.example"></iframe>\n```');
    expect(tags(root)).toEqual(['p', 'strong', 'code', 'pre', 'code']);
    expect(root.querySelector('strong')?.textContent).toBe('<b>x</b>');
    expect(root.querySelector('p code')?.textContent).toBe('<i>y</i>');
    expect(root.querySelector('pre code')?.textContent).toBe('<iframe src="https://evil.example"></iframe>\n');
    expect(container.querySelector('b, i, iframe')).toBeNull();
  });

  it('does not make javascript: (or other non-http) links into links', () => {
    for (const text of ['[click me](javascript:alert(1))', '[x](JavaScript:alert(document.cookie))', 'javascript:alert(1)', '[d](data:text/html,<b>hi</b>)', '[v](vbscript:msgbox)']) {
      const root = md(text);
      expect(container.querySelector('a'), text).toBeNull();
      expect(root.textContent, text).toBe(text);
    }
  });

  it('renders bulleted and numbered lists, with inline formatting inside', () => {
    const root = md('- one\n- **two**\n\n1. first\n2) second');
    expect(tags(root)).toEqual(['ul', 'li', 'li', 'strong', 'ol', 'li', 'li']);
    expect([...root.querySelectorAll('ul li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect([...root.querySelectorAll('ol li')].map((li) => li.textContent)).toEqual(['first', 'second']);
  });

  it('renders a list right after a line of text, without a blank line between them', () => {
    const root = md('Here:\n- a\n- **b**');
    expect(tags(root)).toEqual(['p', 'ul', 'li', 'li', 'strong']);
    expect(root.querySelector('p')?.textContent).toBe('Here:');
    expect([...root.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['a', 'b']);
  });

  it('renders a numbered list after text, and text after a list as a paragraph of its own', () => {
    const root = md('Steps:\n1. open it\n2. *save*\nThat is all.');
    expect(tags(root)).toEqual(['p', 'ol', 'li', 'li', 'em', 'p']);
    expect([...root.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['Steps:', 'That is all.']);
    expect([...root.querySelectorAll('ol li')].map((li) => li.textContent)).toEqual(['open it', 'save']);
    expect(root.querySelector('ol')?.hasAttribute('start')).toBe(false);
  });

  it('keeps a sentence that starts with a number other than 1 in its paragraph', () => {
    const root = md('The answer is\n42. Really.');
    expect(tags(root)).toEqual(['p', 'br']);
    expect(root.textContent).toBe('The answer is42. Really.');
  });

  it('numbers an ordered list from its first number, and switches between kinds of list', () => {
    const root = md('3. three\n4. four\n- a bullet');
    expect(tags(root)).toEqual(['ol', 'li', 'li', 'ul', 'li']);
    expect(root.querySelector('ol')?.getAttribute('start')).toBe('3');
  });

  it('nests indented items and keeps indented text in the item above it', () => {
    const root = md('- fruit\n  - apple\n  - pear\n    ripe **soon**\n- veg\n  1. leek\n     only the white part');
    expect(tags(root)).toEqual(['ul', 'li', 'ul', 'li', 'li', 'br', 'strong', 'li', 'ol', 'li', 'br']);
    const outer = [...root.querySelectorAll(':scope > ul > li')];
    expect(outer).toHaveLength(2);
    expect([...outer[0]!.querySelectorAll('ul > li')].map((li) => li.textContent)).toEqual(['apple', 'pearripe soon']);
    expect(outer[1]!.querySelector('ol > li')?.textContent).toBe('leekonly the white part');
  });

  it('stops nesting at six levels', () => {
    const text = Array.from({ length: 10 }, (_, i) => `${' '.repeat(2 * i)}- level ${i + 1}`).join('\n');
    const root = md(text);
    expect(root.querySelectorAll('ul')).toHaveLength(6);
    expect(root.querySelectorAll('li')).toHaveLength(10);
    expect(root.querySelector('ul ul ul ul ul ul ul')).toBeNull();
  });

  it('keeps HTML in list items and their nested text as text', () => {
    const text = 'Look:\n- <img src=x onerror="alert(1)">\n  <script>alert(2)</script>\n1. [x](javascript:alert(3))';
    const root = md(text);
    expect(container.querySelector('img, script, a, [onerror]')).toBeNull();
    expect(tags(root)).toEqual(['p', 'ul', 'li', 'br', 'ol', 'li']);
    expect([...root.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['<img src=x onerror="alert(1)"><script>alert(2)</script>', '[x](javascript:alert(3))']);
  });

  it('makes a code block focusable, so a keyboard can scroll a long line', () => {
    const root = md('```\n' + 'x'.repeat(300) + '\n```');
    expect(root.querySelector('pre')?.getAttribute('tabindex')).toBe('0');
  });

  it('makes mailto: links, but no other scheme besides http(s)', () => {
    const root = md('[write us](mailto:help@example.com)');
    const link = root.querySelector('a')!;
    expect(link.getAttribute('href')).toBe('mailto:help@example.com');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(link.textContent).toBe('write us');
  });
});
