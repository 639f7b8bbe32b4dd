// Builds parley/react (README.md, The widget, React): dist/react/index.js, one ES module that leaves React
// to the app's bundler (a peer dependency), and its declarations, emitted from the sources by
// `tsc -p react/tsconfig.json`. Nothing of it goes into widget.js.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildReact() {
  const outdir = join(root, 'dist/react');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(root, 'react/src/index.ts')],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    external: ['react'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'react/tsconfig.json')], { stdio: 'inherit' });
}
