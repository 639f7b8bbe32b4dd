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
  const browser = { ...assets, define: { __PARLEY_UPLOAD__: JSON.stringify(uploadPath) }, jsx: 'automatic', jsxImportSource: 'preact' };
  // The hosted page, the admin panel and the locale tables: one file each (the thread's module, imported
  // on demand by the chat, is inlined here).
  const result = await esbuild.build({ ...browser, entryPoints: { page: join(root, 'widget/src/page/main.tsx'), admin: join(root, 'widget/src/admin/main.tsx'), ...LOCALE_ENTRIES } });
  // The widget's panel, a module the loader imports, split: the open conversation's view (chat/thread.tsx)
  // is a chunk the panel fetches right after it loads, and what both use (Preact, the chat's common code) a
  // chunk the panel imports, which the loader fetches beside it.
  const panelBuild = await esbuild.build({ ...browser, entryPoints: { panel: join(root, 'widget/src/embed/panel.tsx') }, splitting: true, chunkNames: 'panel-[hash]' });
  const manifest = { 'upload.js': uploadPath };
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint && !file.endsWith('.css')) continue;
    const name = basename(file);
    const key = name.replace(/-[A-Z0-9]{8}\./, '.');
    manifest[key] = `/assets/${name}`;
  }
  const panelOutputs = Object.entries(panelBuild.metafile.outputs);
  const [panelJs, panelMeta] = panelOutputs.find(([, meta]) => meta.entryPoint === 'widget/src/embed/panel.tsx');
  const shared = panelMeta.imports.filter((i) => i.kind === 'import-statement');
  const thread = panelOutputs.find(([, meta]) => meta.entryPoint === 'widget/src/chat/thread.tsx');
  if (shared.length !== 1 || !thread || !panelMeta.cssBundle) throw new Error('The panel should build as panel.js importing one shared chunk, chat/thread.tsx a chunk of its own, and panel.css.');
  // Named in the manifest, also so that the next build keeps them for pages still running this release.
  Object.assign(manifest, { 'panel.js': `/assets/${basename(panelJs)}`, 'panel.css': `/assets/${basename(panelMeta.cssBundle)}`, 'panel-shared.js': `/assets/${basename(shared[0].path)}`, 'panel-thread.js': `/assets/${basename(thread[0])}` });
  copyFileSync(join(root, 'widget/src/page/error.css'), join(publicDir, 'assets/error.css'));
  // The embed's loader: fixed names (served with an ETag and a short cache, so a release reaches every host
  // page), naming the panel's hashed files.
  const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', target: ['chrome100', 'firefox100', 'safari15'] };
  const locales = Object.fromEntries(WIDGET_LOCALES.map((code) => [code, manifest[`locale-${code}.js`]]));
  const panel = { js: manifest['panel.js'], shared: manifest['panel-shared.js'], thread: manifest['panel-thread.js'], css: manifest['panel.css'], locales };
  await esbuild.build({ ...common, entryPoints: [join(root, 'widget/src/embed/main.ts')], outfile: join(publicDir, 'widget.js'), format: 'iife', define: { __PARLEY_PANEL__: JSON.stringify(panel) } });
  await esbuild.build({ ...common, entryPoints: [join(root, 'widget/src/embed/widget.css')], outfile: join(publicDir, 'widget.css') });
  writeFileSync(join(publicDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await compressTree(publicDir);
}

// `--server` rebuilds only the server (the CLI must not touch the assets a running server is serving).
await Promise.all(process.argv.includes('--server') ? [buildServer()] : [buildServer(), buildBrowser()]);
if (!process.argv.includes('--server')) await (await import('./build-react.mjs')).buildReact();
