// Builds what Parley serves and runs: the server (dist/server, packages left external) and the browser
// bundles (dist/public/assets, content-hashed, with dist/public/manifest.json naming them).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { compressTree } from './compress.mjs';
import { keepOnlyPreviousRelease } from './keep-previous-release.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
// The widget's locales: one module each (widget/src/i18n/<code>.ts), so a host page downloads one table.
const WIDGET_LOCALES = ['en', 'fr', 'ar'];
const LOCALE_ENTRIES = Object.fromEntries(WIDGET_LOCALES.map((code) => [`locale-${code}`, join(root, `widget/src/i18n/${code}.ts`)]));

async function buildServer() {
  await esbuild.build({
    entryPoints: [join(root, 'server/src/cli.ts')],
    outdir: join(out, 'server'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    banner: { js: '#!/usr/bin/env node' },
  });
}

async function buildBrowser() {
  const publicDir = join(out, 'public');
  keepOnlyPreviousRelease(publicDir);
  mkdirSync(join(publicDir, 'assets'), { recursive: true });
  // Hashed ES modules (cached for a year) under /assets/.
  const assets = { outdir: join(publicDir, 'assets'), entryNames: '[name]-[hash]', bundle: true, minify: true, format: 'esm', target: ['chrome100', 'firefox100', 'safari15'], metafile: true, legalComments: 'none', logLevel: 'warning' };
  // The upload code (XMLHttpRequest with progress), loaded by the chat only when a file is first attached;
  // built first, so that the bundles below can name its hashed file.
  const uploadBuild = await esbuild.build({ ...assets, entryPoints: { upload: join(root, 'widget/src/chat/upload.ts') } });
  const uploadPath = `/assets/${basename(Object.keys(uploadBuild.metafile.outputs).find((f) => f.endsWith('.js')))}`;
  const result = await esbuild.build({
    ...assets,
    define: { __PARLEY_UPLOAD__: JSON.stringify(uploadPath) },
    // The widget's panel is here too, a module the loader imports.
    entryPoints: { page: join(root, 'widget/src/page/main.tsx'), admin: join(root, 'widget/src/admin/main.tsx'), panel: join(root, 'widget/src/embed/panel.tsx'), ...LOCALE_ENTRIES },
    jsx: 'automatic',
    jsxImportSource: 'preact',
  });
  const manifest = { 'upload.js': uploadPath };
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint && !file.endsWith('.css')) continue;
    const name = basename(file);
    const key = name.replace(/-[A-Z0-9]{8}\./, '.');
    manifest[key] = `/assets/${name}`;
  }
  copyFileSync(join(root, 'widget/src/page/error.css'), join(publicDir, 'assets/error.css'));
  // The embed's loader: fixed names (served with an ETag and a short cache, so a release reaches every host
  // page), naming the panel's hashed files.
  const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', target: ['chrome100', 'firefox100', 'safari15'] };
  const locales = Object.fromEntries(WIDGET_LOCALES.map((code) => [code, manifest[`locale-${code}.js`]]));
  const panel = { js: manifest['panel.js'], css: manifest['panel.css'], locales };
  await esbuild.build({ ...common, entryPoints: [join(root, 'widget/src/embed/main.ts')], outfile: join(publicDir, 'widget.js'), format: 'iife', define: { __PARLEY_PANEL__: JSON.stringify(panel) } });
  await esbuild.build({ ...common, entryPoints: [join(root, 'widget/src/embed/widget.css')], outfile: join(publicDir, 'widget.css') });
  writeFileSync(join(publicDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await compressTree(publicDir);
}

// `--server` rebuilds only the server (the CLI must not touch the assets a running server is serving).
await Promise.all(process.argv.includes('--server') ? [buildServer()] : [buildServer(), buildBrowser()]);
if (!process.argv.includes('--server')) await (await import('./build-react.mjs')).buildReact();
