/**
 * Attaching files in the chat, loaded the first time someone attaches one (scripts/build.mjs builds this
 * module apart), so that a widget's first load carries none of it:
 * - `uploadFile` sends one file to `POST /api/v1/conversations/:id/attachments` (multipart, field `file`)
 *   with XMLHttpRequest, the only browser API that reports upload progress;
 * - `createTray` keeps the composer's files on their way: each uploads at once, shows its progress, can be
 *   removed, and says why the server refused it. Plain DOM inside the element the composer gives it, since
 *   this module cannot share the panel's Preact.
 */
import type { Attachment } from '#shared/api.js';

/** How an upload failed: as the API's errors (status 0 `network_error` when no answer came). */
export interface UploadFailure {
  status: number;
  code: string;
  message: string;
}

/** `bearer`: the widget's session token; without one, the page's cookie goes. */
export function uploadFile(url: string, bearer: string | undefined, file: Blob & { name?: string }, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const fail = (status: number, code: string, message: string) => reject({ status, code, message } satisfies UploadFailure);
    xhr.open('POST', url);
    xhr.responseType = 'json';
    xhr.setRequestHeader('accept', 'application/json');
    if (bearer) xhr.setRequestHeader('authorization', `Bearer ${bearer}`);
    else xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => fail(0, 'network_error', 'Parley could not be reached.');
    xhr.onabort = () => fail(0, 'aborted', 'The upload was stopped.');
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.onload = () => {
      const body = xhr.response as { attachment?: Attachment; error?: { code?: string; message?: string } } | null;
      if (xhr.status === 201 && body?.attachment) resolve(body.attachment);
      else fail(xhr.status, body?.error?.code ?? 'internal_error', body?.error?.message ?? `HTTP ${xhr.status}`);
    };
    const form = new FormData();
    form.append('file', file, file.name || 'image.png');
    xhr.send(form);
  });
}

/**
 * What the tray says, by language (the widget's three; others read English). Kept here rather than in the
 * locale tables, so that a first load carries none of it.
 */
const TRAY_STRINGS = {
  en: ['Remove', 'This file is too large.', 'This kind of file cannot be attached.', 'Your storage for files is full.', 'Not attached. Try again.'],
  fr: ['Retirer', 'Ce fichier est trop volumineux.', 'Ce type de fichier ne peut pas être joint.', 'Votre espace pour les fichiers est plein.', 'Fichier non joint. Réessayez.'],
  ar: ['إزالة', 'هذا الملف كبير جدًا.', 'لا يمكن إرفاق هذا النوع من الملفات.', 'مساحة ملفاتك ممتلئة.', 'لم يُرفق الملف. حاول مرة أخرى.'],
} as const;

/** Uploads one file (to the conversation it was added for), telling progress; stops when `signal` aborts. */
export type Upload = (file: File, onProgress: (fraction: number) => void, signal: AbortSignal) => Promise<Attachment>;

export interface Tray {
  add(files: ArrayLike<File>, upload: Upload): void;
  /** Forgets every file (after the message that took them was sent). */
  clear(): void;
}

/** The tray's look, adopted by the document or shadow root it lives in (a script-made sheet: no inline style a page's CSP could refuse). */
const TRAY_CSS = `.tray{order:-1;width:100%;list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem;font-size:.85em}
.tray:empty{display:none}
.tray li{display:flex;align-items:center;gap:.25rem;border:1px solid var(--border);border-radius:6px;padding:0 0 0 .5rem;max-width:100%}
.tray span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.tray em{color:#b42318}
.composer .tray button{background:none;color:inherit;min-height:32px;padding:0 .5rem}`;

function adoptStyle(host: HTMLElement): void {
  const root = host.getRootNode() as Document | ShadowRoot;
  if (!('adoptedStyleSheets' in root) || root.adoptedStyleSheets.some((s) => (s as CSSStyleSheet & { parleyTray?: true }).parleyTray)) return;
  const sheet = Object.assign(new CSSStyleSheet(), { parleyTray: true as const });
  sheet.replaceSync(TRAY_CSS);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

interface Entry {
  item: HTMLLIElement;
  stop: AbortController;
  attachment?: Attachment;
  failed?: boolean;
}

/**
 * The files of one composer in `host` (a list). `onChange` hears the uploaded files and whether any is
 * still on its way after every change; at most `max` files are kept.
 */
export function createTray(host: HTMLElement, options: { lang: string | undefined; max: number; onChange: (ready: Attachment[], busy: boolean) => void }): Tray {
  const [removeLabel, tooLarge, wrongType, quota, generic] = TRAY_STRINGS[(options.lang?.slice(0, 2) ?? 'en') as keyof typeof TRAY_STRINGS] ?? TRAY_STRINGS.en;
  const entries: Entry[] = [];
  adoptStyle(host);
  const tell = () => options.onChange(entries.flatMap((e) => (e.attachment ? [e.attachment] : [])), entries.some((e) => !e.attachment && !e.failed));
  const reason = (code: string) => (code === 'attachment_too_large' ? tooLarge : code === 'attachment_type_unsupported' ? wrongType : code === 'attachment_quota_exceeded' ? quota : generic);
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // A file removed stops uploading: it would take room in the quota for nothing.
  const remove = (entry: Entry) => {
    entries.splice(entries.indexOf(entry), 1);
    entry.stop.abort();
    entry.item.remove();
    tell();
  };
  return {
    add(files, upload) {
      for (const file of Array.from(files).slice(0, Math.max(0, options.max - entries.length))) {
        const item = el('li');
        const entry: Entry = { item, stop: new AbortController() };
        const name = file.name || 'image.png';
        const progress = el('progress');
        progress.max = 1;
        progress.value = 0;
        const drop = el('button', '×');
        drop.type = 'button';
        drop.setAttribute('aria-label', `${removeLabel} ${name}`);
        drop.onclick = () => remove(entry);
        item.dataset['state'] = 'uploading';
        item.append(el('span', name), ' ', progress, drop);
        host.append(item);
        entries.push(entry);
        upload(file, (f) => (progress.value = f), entry.stop.signal).then(
          (attachment) => {
            entry.attachment = attachment;
            item.dataset['state'] = 'ready';
            progress.remove();
            tell();
          },
          (error: unknown) => {
            entry.failed = true;
            item.dataset['state'] = 'failed';
            const said = el('em', reason((error as { code?: string }).code ?? ''));
            said.setAttribute('role', 'alert');
            progress.replaceWith(said);
            tell();
          },
        );
      }
      tell();
    },
    clear() {
      for (const entry of entries.splice(0)) {
        // Sent files are done; only one still on its way stops.
        if (!entry.attachment) entry.stop.abort();
        entry.item.remove();
      }
      tell();
    },
  };
}
