/**
 * Settings › Widget: the embedded widget's look and words (docs/admin-api.md, Widget) in one form saved at
 * once, beside a preview (WidgetPreview.tsx) that follows every keystroke before anything is saved. Texts
 * are set per locale, one field each; a value the server would refuse is explained beside its field (and
 * announced when a save is tried); the launcher icon is uploaded, and saved, as soon as it is chosen.
 */
import { useState } from 'preact/hooks';
import { WIDGET_LOCALES, type WidgetLocale } from '#shared/fields.js';
import { ApiError } from '../api/client.js';
import { pickLocale } from '../i18n/locales.js';
import type { AdminApi, Setting, SettingsPatch } from './api.js';
import { errorText } from './errors.js';
import { Notice, useAction, type Note } from './ui.js';
import {
  accentOf,
  draftOf,
  FIELD_KEYS,
  isUploadedIcon,
  patchOf,
  problemsOf,
  sendLauncherIcon,
  textIn,
  type FieldKey,
  type LocalizedKey,
  type TextKey,
  type WidgetDraft,
} from './widget-draft.js';
import { SAMPLE_NAME, WidgetPreview } from './WidgetPreview.js';

const LOCALES: Readonly<Record<WidgetLocale, { name: string; dir: 'ltr' | 'rtl' }>> = {
  en: { name: 'English', dir: 'ltr' },
  fr: { name: 'French', dir: 'ltr' },
  ar: { name: 'Arabic', dir: 'rtl' },
};
const MAX_ICON_BYTES = 64 * 1024;
const ICON_ERRORS = new Map([
  ['icon_too_large', 'The icon may be at most 64 KB.'],
  ['icon_type_unsupported', 'The icon must be a PNG, JPEG, GIF or WebP image.'],
]);

const TEXT_FIELDS: { key: TextKey; label: string; help: string; type?: 'url' }[] = [
  { key: 'teamName', label: 'Team name', help: 'Shown on the home view, at most 60 characters.' },
  { key: 'title', label: 'Panel title', help: 'The title bar of the open panel, at most 60 characters.' },
  { key: 'avatarUrl', label: 'Avatar URL', help: 'An https:// image of your team; empty: its initial.', type: 'url' },
];
const TEXTS_BY_LOCALE: { key: LocalizedKey; legend: string; help: string }[] = [
  { key: 'greeting', legend: 'Greeting', help: '{name} becomes the user’s first name. At most 200 characters.' },
  { key: 'replyTime', legend: 'Expected reply time', help: 'Such as “We usually answer within a day”. At most 80 characters.' },
  { key: 'awayText', legend: 'Away text', help: 'Shown instead of “Online” while no administrator has the admin panel open. At most 200 characters.' },
];
const id = (key: FieldKey) => `widget-${key.replace('.', '-')}`;

/** The widget's settings (`settings` must list them: see draftOf) and their live preview. */
export function WidgetSettings({ api, settings, onSaved }: { api: AdminApi; settings: Setting[]; onSaved: (all: Setting[]) => void }) {
  const [draft, setDraft] = useState<WidgetDraft>(() => draftOf(settings)!);
  // Fields whose problem is shown: after the field is left, or after a save was tried.
  const [shown, setShown] = useState<ReadonlySet<FieldKey>>(new Set());
  const [previewLocale, setPreviewLocale] = useState<WidgetLocale>('en');
  // Images follow a URL once its field is left, not at every keystroke (each would be a request).
  const [images, setImages] = useState({ avatarUrl: draft.avatarUrl, launcherIconUrl: draft.launcherIconUrl });
  const [iconNote, setIconNote] = useState<Note>(null);
  const [iconBusy, setIconBusy] = useState(false);
  const { busy, note, setNote, run } = useAction();

  const savedIcon = new Map<string, unknown>(settings.map((s) => [s.name, s.value])).get('widgetLauncherIconUrl');
  const uploadedIconUrl = typeof savedIcon === 'string' && isUploadedIcon(savedIcon) ? savedIcon : null;
  const problems = problemsOf(draft, uploadedIconUrl);
  const problem = (key: FieldKey) => (shown.has(key) ? problems.get(key) : undefined);
  const show = (key: FieldKey) => setShown((keys) => new Set([...keys, key]));

  const setText = (key: TextKey, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const setLocalized = (key: LocalizedKey, locale: WidgetLocale, value: string) => setDraft((d) => ({ ...d, [key]: { ...d[key], [locale]: value } }));
  const commitImage = (key: 'avatarUrl' | 'launcherIconUrl') => {
    show(key);
    setImages((current) => ({ ...current, [key]: draft[key].trim() }));
  };
  const validImage = (key: 'avatarUrl' | 'launcherIconUrl') => (problems.has(key) || images[key] === '' ? null : images[key]);

  const reset = (all: Setting[]) => {
    const saved = draftOf(all)!;
    setDraft(saved);
    setImages({ avatarUrl: saved.avatarUrl, launcherIconUrl: saved.launcherIconUrl });
    setShown(new Set());
    onSaved(all);
  };

  const save = (e: Event) => {
    e.preventDefault();
    if (problems.size > 0) {
      setShown(new Set(FIELD_KEYS));
      setNote({ ok: false, text: problems.size === 1 ? 'One field needs a change: see below it.' : `${problems.size} fields need a change: see below each.` });
      document.getElementById(id([...problems.keys()][0]!))?.focus();
      return;
    }
    void run(async () => {
      // The panel's client types the instance's settings only; the body is sent as JSON all the same.
      reset(await api.updateSettings(patchOf(draft) as unknown as SettingsPatch));
      return 'Saved.';
    });
  };

  const sendIcon = async (file: File | null) => {
    setIconNote(null);
    if (file && file.size > MAX_ICON_BYTES) return setIconNote({ ok: false, text: ICON_ERRORS.get('icon_too_large')! });
    setIconBusy(true);
    try {
      reset(await sendLauncherIcon(file));
      setIconNote({ ok: true, text: file ? 'Icon uploaded and in use.' : 'Uploaded icon removed.' });
    } catch (error) {
      setIconNote({ ok: false, text: (error instanceof ApiError && ICON_ERRORS.get(error.code)) || errorText(error) });
    } finally {
      setIconBusy(false);
    }
  };

  const describedBy = (key: FieldKey, help: string) => [help, problem(key) ? `${id(key)}-error` : ''].filter(Boolean).join(' ');
  const fieldError = (key: FieldKey) =>
    problem(key) && (
      <p id={`${id(key)}-error`} class="field-error">
        {problem(key)}
      </p>
    );
  const defaults = pickLocale(previewLocale, []).strings;
  const accent = accentOf(draft);

  return (
    <section class="card widget-settings" aria-labelledby="widget-heading">
      <h2 id="widget-heading">Widget</h2>
      <div class="widget-layout">
        <form onSubmit={save} noValidate data-setting="widget">
          {TEXT_FIELDS.map(({ key, label, help, type }) => (
            <div class="widget-field" key={key}>
              <label for={id(key)}>{label}</label>
              <input
                id={id(key)}
                type="text"
                inputMode={type}
                autoComplete="off"
                value={draft[key]}
                aria-invalid={problem(key) ? 'true' : undefined}
                aria-describedby={describedBy(key, `${id(key)}-help`)}
                onInput={(e) => setText(key, e.currentTarget.value)}
                onChange={() => (type === 'url' ? commitImage(key as 'avatarUrl') : show(key))}
              />
              <p id={`${id(key)}-help`} class="muted">
                {help}
              </p>
              {fieldError(key)}
            </div>
          ))}

          <div class="widget-field">
            <label for={id('accentColor')}>Accent colour</label>
            <div class="row">
              <input
                id={id('accentColor')}
                class="mono"
                value={draft.accentColor}
                placeholder="#3056d3"
                aria-invalid={problem('accentColor') ? 'true' : undefined}
                aria-describedby={describedBy('accentColor', 'widget-accentColor-help')}
                onInput={(e) => setText('accentColor', e.currentTarget.value)}
                onChange={() => show('accentColor')}
              />
              <input type="color" aria-label="Pick the accent colour" value={accent ?? '#3056d3'} onInput={(e) => setText('accentColor', e.currentTarget.value)} />
            </div>
            <p id="widget-accentColor-help" class="muted">
              The launcher’s and the title bar’s colour, as #rrggbb; empty: the widget’s own. Text on it is white or black, whichever reads better.
            </p>
            {fieldError('accentColor')}
          </div>

          <div class="widget-field">
            <label for={id('launcherIconUrl')}>Launcher icon URL</label>
            <input
              id={id('launcherIconUrl')}
              type="url"
              value={draft.launcherIconUrl}
              aria-invalid={problem('launcherIconUrl') ? 'true' : undefined}
              aria-describedby={describedBy('launcherIconUrl', 'widget-launcherIconUrl-help')}
              onInput={(e) => setText('launcherIconUrl', e.currentTarget.value)}
              onChange={() => commitImage('launcherIconUrl')}
            />
            <p id="widget-launcherIconUrl-help" class="muted">
              An https:// image, or one you upload (PNG, JPEG, GIF or WebP, at most 64 KB; saved at once). Empty: a chat bubble.
            </p>
            {fieldError('launcherIconUrl')}
            <div class="row">
              <label for="widget-icon-file" class="file">
                Upload an icon
              </label>
              <input
                id="widget-icon-file"
                type="file"
                accept="image/png,image/jpeg,image/gif,image/webp"
                disabled={iconBusy}
                onChange={(e) => {
                  const input = e.currentTarget;
                  const file = input.files?.[0] ?? null;
                  input.value = '';
                  if (file) void sendIcon(file);
                }}
              />
              {uploadedIconUrl && (
                <button type="button" disabled={iconBusy} onClick={() => void sendIcon(null)}>
                  Remove the uploaded icon
                </button>
              )}
            </div>
            <Notice note={iconNote} />
          </div>

          <fieldset class="widget-field">
            <legend>Launcher position</legend>
            {(['right', 'left'] as const).map((position) => (
              <label class="choice" key={position}>
                <input type="radio" name="widget-position" value={position} checked={draft.position === position} onChange={() => setDraft((d) => ({ ...d, position }))} />{' '}
                {position === 'right' ? 'Bottom right' : 'Bottom left'}
              </label>
            ))}
          </fieldset>

          {TEXTS_BY_LOCALE.map(({ key, legend, help }) => (
            <fieldset class="widget-field" key={key} aria-describedby={`widget-${key}-help`}>
              <legend>{legend}</legend>
              <p id={`widget-${key}-help`} class="muted">
                {help} A language left empty uses the English text, else the widget’s own.
              </p>
              {WIDGET_LOCALES.map((locale) => {
                const field = `${key}.${locale}` as const;
                return (
                  <div class="localized" key={locale}>
                    <label for={id(field)}>{`${legend} (${LOCALES[locale].name})`}</label>
                    <input
                      id={id(field)}
                      lang={locale}
                      dir={LOCALES[locale].dir}
                      value={draft[key][locale]}
                      aria-invalid={problem(field) ? 'true' : undefined}
                      aria-describedby={problem(field) ? `${id(field)}-error` : undefined}
                      onInput={(e) => setLocalized(key, locale, e.currentTarget.value)}
                      onFocus={() => setPreviewLocale(locale)}
                      onChange={() => show(field)}
                    />
                    {fieldError(field)}
                  </div>
                );
              })}
            </fieldset>
          ))}

          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              Save widget settings
            </button>
          </div>
          <Notice note={note} />
        </form>

        <section class="widget-preview-pane" aria-labelledby="widget-preview-heading">
          <h3 id="widget-preview-heading">Preview</h3>
          <label for="widget-preview-locale">Preview language</label>
          <select id="widget-preview-locale" value={previewLocale} onChange={(e) => setPreviewLocale(e.currentTarget.value as WidgetLocale)}>
            {WIDGET_LOCALES.map((locale) => (
              <option key={locale} value={locale}>
                {LOCALES[locale].name}
              </option>
            ))}
          </select>
          <WidgetPreview
            title={draft.title.trim() || defaults.chatTitle}
            teamName={draft.teamName.trim() || defaults.teamName}
            avatarUrl={validImage('avatarUrl')}
            accentColor={accent}
            launcherIconUrl={validImage('launcherIconUrl')}
            position={draft.position}
            greeting={textIn(draft.greeting, previewLocale) ?? defaults.greeting}
            replyTime={textIn(draft.replyTime, previewLocale) ?? defaults.replyTime}
            awayText={textIn(draft.awayText, previewLocale) ?? defaults.awayText}
            lang={previewLocale}
            dir={LOCALES[previewLocale].dir}
          />
          <p class="muted">
            As a user called {SAMPLE_NAME} would see it, before you save.
          </p>
        </section>
      </div>
    </section>
  );
}
