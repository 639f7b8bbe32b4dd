/**
 * The browser build's clean-up (scripts/keep-previous-release.mjs): the previous build's hashed assets stay
 * (a host page whose cached widget.js names the previous panel still finds it), anything older goes, and so
 * does everything outside assets/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keepOnlyPreviousRelease } from '../../scripts/keep-previous-release.mjs';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>) {
  dir = mkdtempSync(join(tmpdir(), 'parley-release-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

describe('keeping the previous release', () => {
  it("keeps the previous manifest's assets with their compressed copies, and removes older ones and the rest", () => {
    tree({
      'manifest.json': JSON.stringify({ 'panel.js': '/assets/panel-B.js', 'panel.css': '/assets/panel-B.css' }),
      'widget.js': 'loader',
      'widget.js.br': 'loader',
      'assets/panel-A.js': 'two builds ago',
      'assets/panel-A.js.br': 'two builds ago',
      'assets/panel-B.js': 'previous',
      'assets/panel-B.js.br': 'previous',
      'assets/panel-B.js.gz': 'previous',
      'assets/panel-B.css': 'previous',
    });
    keepOnlyPreviousRelease(dir);
    expect(readdirSync(dir)).toEqual(['assets']);
    expect(readdirSync(join(dir, 'assets')).sort()).toEqual(['panel-B.css', 'panel-B.js', 'panel-B.js.br', 'panel-B.js.gz']);
  });

  it('without a previous build (or a manifest that cannot be read) starts from an empty folder', () => {
    tree({ 'manifest.json': '{not json', 'assets/old.js': 'x' });
    keepOnlyPreviousRelease(dir);
    expect(readdirSync(join(dir, 'assets'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    keepOnlyPreviousRelease(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
