/** The widget's configuration, read from its own script tag's `data-*` attributes (README.md, The widget). */

export interface WidgetConfig {
  baseUrl: string;
  externalAuthCode: string | null;
  documentId: string | null;
  open: boolean;
  locale: string | null;
  theme: 'light' | 'dark' | 'auto';
  /** Overrides of the administrator's appearance settings for this page; null keeps the setting. */
  position: 'left' | 'right' | null;
  accentColor: string | null;
  title: string | null;
  launcherIcon: string | null;
}

const pick = <T extends string>(value: string | undefined, allowed: readonly T[]): T | null =>
  (allowed as readonly string[]).includes(value ?? '') ? (value as T) : null;

const text = (value: string | undefined): string | null => value?.trim() || null;

/** An https URL (or one on Parley's own origin), else null: the launcher never loads an image from http or data:. */
function imageUrl(value: string | undefined, baseUrl: string): string | null {
  try {
    const url = new URL(text(value) ?? '', baseUrl);
    return url.protocol === 'https:' || url.origin === baseUrl ? url.href : null;
  } catch {
    return null;
  }
}

export function readConfig(script: { src: string; dataset: DOMStringMap }): WidgetConfig {
  const d = script.dataset;
  const baseUrl = new URL(script.src).origin;
  const accent = text(d['accentColor'])?.toLowerCase() ?? '';
  return {
    baseUrl,
    externalAuthCode: text(d['externalAuthCode']),
    documentId: text(d['documentId']),
    open: d['open'] === 'true',
    locale: text(d['locale']),
    theme: pick(d['theme'], ['light', 'dark', 'auto']) ?? 'auto',
    position: pick(d['position'], ['left', 'right']),
    accentColor: /^#[0-9a-f]{6}$/.test(accent) ? accent : null,
    title: text(d['title'])?.slice(0, 60) ?? null,
    launcherIcon: d['launcherIcon'] ? imageUrl(d['launcherIcon'], baseUrl) : null,
  };
}
