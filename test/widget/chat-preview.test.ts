/** The one-line preview of a message in the conversation list (widget/src/chat/format.ts). */
import { describe, expect, it } from 'vitest';
import { preview } from '../../widget/src/chat/format.js';

describe('a message preview', () => {
  it('drops Markdown marks and folds lines: what a person reads, not its source', () => {
    expect(preview('Here it is: **INV-42**.\n- paid\n- sent')).toBe('Here it is: INV-42. paid sent');
    expect(preview('# Title\n> quoted `code` and ~~old~~ [a link](https://example.com)\n1. first')).toBe('Title quoted code and old a link first');
  });

  it('keeps single underscores, numbers and emoji (a lone star goes with the marks)', () => {
    expect(preview('see file_name_v2 and 3 * 4')).toBe('see file_name_v2 and 3 4');
    expect(preview('  👋  hello  ')).toBe('👋 hello');
  });

  it('is at most 120 characters', () => {
    expect(preview('x'.repeat(500))).toHaveLength(120);
  });
});
