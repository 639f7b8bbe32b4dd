/**
 * Files in the chat: what a message shows of its attachments (images inline, their size reserved before
 * they load; other files as a card that downloads), and the composer's side of attaching: the button,
 * drops and pastes go to the tray of upload.ts, which loads on first use.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Attachment } from '#shared/api.js';
import { MAX_ATTACHMENTS_PER_MESSAGE } from '#shared/constants.js';
import type { ApiClient } from '../api/client.js';
import type { Strings } from './strings.js';
import type { Tray } from './upload.js';

const size = (bytes: number) => (bytes < 1048576 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`);

/** A message's files. */
export function Files({ files, url }: { files: Attachment[]; url: (a: Attachment) => string }) {
  return (
    <div class="files">
      {files.map((a) => (
        <a key={a.id} href={url(a)} target="_blank" rel="noopener noreferrer" class={a.type.startsWith('image/') ? '' : 'file'}>
          {a.type.startsWith('image/') ? <img src={url(a)} alt={a.name} width={a.width ?? undefined} height={a.height ?? undefined} loading="lazy" /> : `${a.name} · ${size(a.size)}`}
        </a>
      ))}
    </div>
  );
}

/** The composer's files: `add` takes a FileList (button, drop, paste); `ready` and `busy` say what can be sent. */
export function useAttach(api: ApiClient, conversationId: string, lang: string | undefined) {
  const host = useRef<HTMLUListElement>(null);
  // The composer stays as the user moves between conversations: its files go with the one they were for.
  const target = useRef(conversationId);
  useEffect(() => {
    if (target.current === conversationId) return;
    target.current = conversationId;
    void tray.current?.then((t) => t.clear());
  }, [conversationId]);
  const tray = useRef<Promise<Tray> | undefined>(undefined);
  const [state, setState] = useState({ ready: [] as Attachment[], busy: false });
  const add = (files: ArrayLike<File>) => {
    // The conversation the file was added in, whatever is open when the upload code has loaded.
    const to = target.current;
    // A module that did not load (offline) is asked for again at the next file.
    tray.current ??= api.uploads!().then(
      (m) => m.createTray(host.current!, { lang, max: MAX_ATTACHMENTS_PER_MESSAGE, onChange: (ready, busy) => setState({ ready, busy }) }),
      (error: unknown) => {
        tray.current = undefined;
        throw error;
      },
    );
    tray.current.then((t) => t.add(files, (file, onProgress, signal) => api.upload!(to, file, onProgress, signal)), () => undefined);
  };
  return { host, add, ...state, clear: () => void tray.current?.then((t) => t.clear()) };
}

export type AttachState = ReturnType<typeof useAttach>;

/** A paper clip (an icon, not an emoji: some systems have no emoji font). */
export const PaperClip = () => (
  <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
    <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M20 11.5l-8.5 8.5a5 5 0 0 1-7-7L13 4.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L14.5 7.5" />
  </svg>
);

/** The button that picks files. */
export function AttachButton({ state, t }: { state: AttachState; t: Strings }) {
  return (
    <label class="attach" title={t.attach}>
      <input
        type="file"
        multiple
        aria-label={t.attach}
        onChange={(e) => {
          state.add(e.currentTarget.files!);
          e.currentTarget.value = '';
        }}
      />
      <PaperClip />
    </label>
  );
}
