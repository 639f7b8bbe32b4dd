/**
 * A live picture of the embedded widget as the settings form describes it, before anything is saved: the
 * launcher in the accent colour with its icon, and the open panel's home view (title bar, the team's avatar
 * and name, the greeting for a sample user, the expected reply time, the away text said while nobody of the
 * team is online, a composer that does nothing). The text on the accent is white or black by the same
 * contrast rule the widget follows (shared/src/contrast.ts).
 */
import { textColorOn } from '#shared/contrast.js';

/** The widget's own accent colour, shown while the administrator has set none. */
export const DEFAULT_ACCENT = '#3056d3';
/** The first name the preview greets (`{name}` in a greeting). */
export const SAMPLE_NAME = 'Ada';

export interface PreviewProps {
  title: string;
  teamName: string;
  avatarUrl: string | null;
  /** `#rrggbb`, or null for the widget's own. */
  accentColor: string | null;
  launcherIconUrl: string | null;
  position: 'right' | 'left';
  /** With `{name}` still in it. */
  greeting: string;
  replyTime: string;
  /** What the home says while no administrator is online. */
  awayText: string;
  /** The language the texts are in (`lang`), and its direction. */
  lang: string;
  dir: 'ltr' | 'rtl';
}

/** The default chat bubble of the launcher, drawn when no icon is set. */
function Bubble() {
  return (
    <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
    </svg>
  );
}

export function WidgetPreview(props: PreviewProps) {
  const accent = props.accentColor ?? DEFAULT_ACCENT;
  // Custom properties set through the CSSOM (Preact's style object), which the panel's CSP allows.
  const colours = { '--wp-accent': accent, '--wp-on-accent': textColorOn(accent) };
  const initial = [...props.teamName.trim()][0] ?? '?';
  return (
    <div class={`widget-preview ${props.position}`} style={colours} data-testid="widget-preview">
      <div class="wp-panel" lang={props.lang} dir={props.dir}>
        <div class="wp-bar" data-testid="preview-title">
          {props.title}
        </div>
        <div class="wp-home">
          {props.avatarUrl ? (
            <img class="wp-avatar" src={props.avatarUrl} alt="" width={48} height={48} data-testid="preview-avatar" />
          ) : (
            <span class="wp-avatar" aria-hidden="true">
              {initial}
            </span>
          )}
          <p class="wp-team" dir="auto" data-testid="preview-team">
            {props.teamName}
          </p>
          <p class="wp-greeting" dir="auto" data-testid="preview-greeting">
            {props.greeting.replaceAll('{name}', SAMPLE_NAME)}
          </p>
          <p class="wp-reply" dir="auto" data-testid="preview-reply-time">
            {props.replyTime}
          </p>
          <p class="wp-reply" dir="auto" data-testid="preview-away-text">
            {props.awayText}
          </p>
        </div>
        <div class="wp-composer">
          <textarea disabled rows={1} aria-label="Message (preview only)" />
          <button type="button" disabled>
            Send
          </button>
        </div>
      </div>
      <span class="wp-launcher" aria-hidden="true" data-testid="preview-launcher">
        {props.launcherIconUrl ? <img src={props.launcherIconUrl} alt="" width={28} height={28} data-testid="preview-launcher-icon" /> : <Bubble />}
      </span>
    </div>
  );
}
