// esbuild bundles imported CSS into the entry's stylesheet.
declare module '*.css';

/** The path of the upload module on Parley's origin (scripts/build.mjs); undefined outside a build (tests). */
declare const __PARLEY_UPLOAD__: string | undefined;
