/**
 * How the widget's settings are shown to the widget (`GET /api/v1/widget/settings`, docs/admin-api.md,
 * Widget): the texts of one locale, falling back to the English text and then to none (the widget then says
 * its own localized default), and the text colour that reads on the accent colour.
 */
import { textColorOn } from '#shared/contrast.js';
import { WIDGET_LOCALES, type LocalizedText, type WidgetLocale } from '#shared/fields.js';
import type { WidgetAppearance } from '#shared/widget-settings.js';
import type { WidgetSettings } from './settings.js';

const LOCALES: ReadonlySet<string> = new Set(WIDGET_LOCALES);

/** The widget locale of a requested language tag (`fr`, `fr-CA`, `AR`), else English. */
export function widgetLocaleOf(requested: string | undefined): WidgetLocale {
  const language = (requested ?? '').split(/[-_]/)[0]!.toLowerCase();
  return LOCALES.has(language) ? (language as WidgetLocale) : 'en';
}

/** The text for `locale`, else the English one, else null. */
export function textIn(texts: LocalizedText, locale: WidgetLocale): string | null {
  return texts[locale] ?? texts.en ?? null;
}

/** The widget's settings for a widget speaking `locale`; `launcherIconUrl` is the icon setting's absolute URL. */
export function presentWidget(widget: WidgetSettings, locale: WidgetLocale, launcherIconUrl: string | null): WidgetAppearance {
  return {
    teamName: widget.teamName,
    avatarUrl: widget.avatarUrl,
    title: widget.title,
    accentColor: widget.accentColor,
    onAccentColor: widget.accentColor === null ? null : textColorOn(widget.accentColor),
    launcherIconUrl,
    position: widget.position,
    greeting: textIn(widget.greeting, locale),
    replyTime: textIn(widget.replyTime, locale),
    awayText: textIn(widget.awayText, locale),
  };
}
