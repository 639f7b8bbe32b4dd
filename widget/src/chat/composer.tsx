/**
 * The message field: Enter sends, Shift+Enter breaks the line, a message over the length limit says so.
 * With `files` (a conversation that exists, and an API that uploads; thread.tsx gives them), files dropped on
 * or pasted into it are attached, the tray shows them, and the message waits for their uploads; `children`
 * is the button that picks them.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Attachment } from '#shared/api.js';
import { MESSAGE_MAX_CHARS } from '#shared/constants.js';
import type { AttachState } from './attach.js';
import type { Strings } from './strings.js';

/** `onType`: told at every keystroke that leaves text in the field (the caller throttles what it sends). */
export function Composer({ t, onSend, onType, files, children }: { t: Strings; onSend: (text: string, attachments: Attachment[]) => void; onType?: () => void; files?: AttachState; children?: ComponentChildren }) {
  const [text, setText] = useState('');
  const tooLong = [...text].length > MESSAGE_MAX_CHARS;
  const attached = files?.ready ?? [];
  const empty = text.trim() === '' && attached.length === 0;
  const submit = () => {
    if (empty || tooLong || files?.busy) return;
    onSend(text, attached);
    setText('');
    files?.clear();
  };
  const take = (list: FileList | null | undefined, e: Event) => {
    if (!files || !list?.length) return;
    e.preventDefault();
    files.add(list);
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onDragOver={(e) => files && e.preventDefault()}
      onDrop={(e) => take(e.dataTransfer?.files, e)}
    >
      {files && <ul class="tray" ref={files.host} />}
      <textarea
        aria-label={t.composerLabel}
        placeholder={t.composerPlaceholder}
        title={t.composerHint}
        value={text}
        rows={2}
        onInput={(e) => {
          const value = (e.currentTarget as HTMLTextAreaElement).value;
          setText(value);
          if (value.trim()) onType?.();
        }}
        onPaste={(e) => take(e.clipboardData?.files, e)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {children}
      {tooLong && <div class="hint" role="alert">{t.tooLong}</div>}
      <button type="submit" disabled={empty || tooLong || files?.busy}>
        {t.send}
      </button>
    </form>
  );
}
