/** The widget's configuration, read from its own script tag's `data-*` attributes (README.md, The widget). */

export interface WidgetConfig {
  baseUrl: string;
  externalAuthCode: string | null;
  documentId: string | null;
  position: 'left' | 'right';
  open: boolean;
  locale: string | null;
  theme: 'light' | 'dark' | 'auto';
}

const pick = <T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T =>
  (allowed as readonly string[]).includes(value ?? '') ? (value as T) : fallback;

export function readConfig(script: { src: string; dataset: DOMStringMap }): WidgetConfig {
  const d = script.dataset;
  return {
    baseUrl: new URL(script.src).origin,
    externalAuthCode: d['externalAuthCode']?.trim() || null,
    documentId: d['documentId']?.trim() || null,
    position: pick(d['position'], ['left', 'right'], 'right'),
    open: d['open'] === 'true',
    locale: d['locale']?.trim() || null,
    theme: pick(d['theme'], ['light', 'dark', 'auto'], 'auto'),
  };
}
