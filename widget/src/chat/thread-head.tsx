/**
 * The head of an open conversation: the way back to the home view (the compact layout, outside a document
 * room), the title, and what `children` add (whether the team is online). Drawn by the thread's view, and by
 * the chat view while that view is still loading or could not be loaded, so the way back is always there.
 */
import type { ComponentChildren } from 'preact';
import type { Strings } from './strings.js';

export function ThreadHead({ t, title, compact, onBack, children }: { t: Strings; title: string | null; compact: boolean; onBack: (() => void) | null; children?: ComponentChildren }) {
  const H = compact ? 'h3' : 'h2';
  return (
    <div class="head">
      {onBack && (
        <button type="button" class="back" aria-label={t.back} onClick={onBack}>
          ‹
        </button>
      )}
      <div class="name">
        <H dir="auto">{title}</H>
        {children}
      </div>
    </div>
  );
}
