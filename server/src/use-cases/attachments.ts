/**
 * Uploading and reading attached files (docs/attachments.md). An upload reserves its room in the uploader's
 * quota, streams through the inspector (size, kind, dimensions: attachments/inspect.ts) into the file
 * storage, and becomes a `ready` row that the author's next message takes (chat-service.ts, postMessage).
 * Whatever goes wrong on the way (too large, a refused kind, a cut connection, the storage failing) leaves
 * neither bytes nor a row. A file is read by whoever may read its message: the conversation's access check,
 * and an internal note's files for administrators only.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Attachment } from '#shared/api.js';
import { cleanFileName, nameForKind } from '../attachments/file-name.js';
import { FileInspector } from '../attachments/inspect.js';
import { isAdministrator, type AccessControl } from '../chat/access.js';
import { ParleyError } from '../errors.js';
import { newId } from '../ids.js';
import type { BlobStore } from '../storage/blob-store.js';
import { attachmentPath, storedAttachment, type AttachmentRepository, type AttachmentRow } from '../store/attachments.js';
import type { MessageRepository } from '../store/messages.js';
import type { UserRow } from '../store/users.js';

/** Uploads one account may have in progress at once on one instance; one more is `rate_limited`. */
export const UPLOADS_IN_FLIGHT = 3;

export interface UploadedFile {
  /** The name the client gave (the multipart part's filename). */
  name: string;
  stream: Readable;
  /** The request's Content-Length, when it has one: the most the file can be. */
  declaredBytes: number | null;
}

export function createAttachmentUseCases(deps: {
  attachments: AttachmentRepository;
  messages: MessageRepository;
  blobs: BlobStore;
  access: AccessControl;
  limits: { maxUploadBytes: number; uploadQuotaBytes: number };
  now: () => number;
  onError?: (error: unknown) => void;
}) {
  const { attachments, blobs, access, limits, now } = deps;
  const inFlight = new Map<string, number>();

  const present = (row: AttachmentRow): Attachment => ({ ...storedAttachment(row), url: attachmentPath(row.id) });

  /**
   * Removes an upload's bytes and row. A storage that will not delete may still hold some (a put whose
   * answer was lost): the row becomes `deleted` instead, out of the quota, and the next sweep tries again.
   */
  async function discard(row: { id: string; storageKey: string }): Promise<void> {
    try {
      await blobs.delete(row.storageKey);
    } catch (error) {
      deps.onError?.(error);
      await attachments.abandon(row.id).catch((e: unknown) => deps.onError?.(e));
      return;
    }
    await attachments.remove(row.id).catch((e: unknown) => deps.onError?.(e));
  }

  return {
    /**
     * Stores one file for a message `user` will post in the conversation (they must be allowed to write
     * there). Refusals: `attachment_too_large`, `attachment_quota_exceeded`, `attachment_type_unsupported`,
     * `attachment_truncated`; more than UPLOADS_IN_FLIGHT at once, `rate_limited`; the storage failing,
     * `service_unavailable` (503).
     */
    async upload(user: UserRow, conversationId: string, file: UploadedFile): Promise<Attachment> {
      await access.requireConversation(user, conversationId, 'write');
      const running = inFlight.get(user.id) ?? 0;
      if (running >= UPLOADS_IN_FLIGHT) throw new ParleyError('rate_limited', `At most ${UPLOADS_IN_FLIGHT} uploads at once.`);
      inFlight.set(user.id, running + 1);
      try {
        const name = cleanFileName(file.name);
        const id = newId('att');
        const storageKey = `att/${id}`;
        // The request cannot hold more than its Content-Length; without one, the largest file allowed.
        const reserve = Math.min(file.declaredBytes ?? limits.maxUploadBytes, limits.maxUploadBytes);
        if (!(await attachments.reserve({ id, conversationId, uploaderId: user.id, name, storageKey, reserve, quota: limits.uploadQuotaBytes }, now()))) {
          file.stream.resume();
          throw new ParleyError('attachment_quota_exceeded');
        }
        const inspector = new FileInspector(name, limits.maxUploadBytes);
        // What failed first decides the answer: the inspector's refusal, the upload's own stream (a cut
        // connection, maybe before this listened), or the storage. Error events come before the promises that
        // they reject settle. Any other error of the inspector comes from its reader destroying it: a storage
        // that failed while reading (a for-await loop left early destroys its stream with an AbortError;
        // pipeline() hands on a write error), before its put rejects.
        let cause: ParleyError | 'source' | 'storage' | undefined;
        file.stream.once('error', () => (cause ??= 'source'));
        inspector.once('error', (error) => (cause ??= error instanceof ParleyError ? error : file.stream.errored ? 'source' : 'storage'));
        const stored = blobs.put(storageKey, inspector).catch((error: unknown) => {
          cause ??= 'storage';
          inspector.destroy();
          file.stream.destroy();
          throw error;
        });
        // Both are waited for, so that nothing is half-written when the answer goes.
        const [flowed, kept] = await Promise.allSettled([pipeline(file.stream, inspector), stored]);
        if (flowed.status === 'rejected' || kept.status === 'rejected') {
          await discard({ id, storageKey });
          if (cause instanceof ParleyError) throw cause;
          if (cause !== 'storage') throw new ParleyError('attachment_truncated');
          deps.onError?.(kept.status === 'rejected' ? kept.reason : undefined);
          throw new ParleyError('service_unavailable', 'The file storage cannot be reached right now. Try again shortly.');
        }
        const seen = inspector.result();
        const row = await attachments.complete(id, { name: nameForKind(name, seen.kind), type: seen.kind.type, size: seen.size, width: seen.width, height: seen.height });
        if (!row) {
          // Taken for abandoned meanwhile (or its account deleted): its bytes must not outlive the row.
          await discard({ id, storageKey });
          throw new ParleyError('attachment_truncated');
        }
        return present(row);
      } finally {
        const left = (inFlight.get(user.id) ?? 1) - 1;
        if (left === 0) inFlight.delete(user.id);
        else inFlight.set(user.id, left);
      }
    },

    /**
     * A file `user` may read, and its bytes: one of a message they may see in a conversation they may read,
     * or their own upload not yet attached. Anything else is `attachment_not_found`, whether it exists or not.
     */
    async open(user: UserRow, attachmentId: string): Promise<{ attachment: AttachmentRow; bytes: () => Promise<Readable> }> {
      const row = await attachments.findById(attachmentId);
      if (!row || row.state !== 'ready') throw new ParleyError('attachment_not_found');
      if (row.message_id === null) {
        if (row.uploader_id !== user.id) throw new ParleyError('attachment_not_found');
      } else {
        const message = await deps.messages.findById(row.message_id);
        if (!message || message.deleted_at !== null || (message.internal === 1 && !isAdministrator(user))) throw new ParleyError('attachment_not_found');
      }
      try {
        await access.requireConversation(user, row.conversation_id, 'read');
      } catch (error) {
        if (error instanceof ParleyError) throw new ParleyError('attachment_not_found');
        throw error;
      }
      return { attachment: row, bytes: () => blobs.open(row.storage_key) };
    },

    /**
     * Removes what should go (docs/attachments.md, Deleting): the files of deleted messages, uploads stuck in
     * progress for an hour, uploads never attached after a day. Answers how many went; a file whose bytes the
     * storage would not delete stays for the next sweep.
     */
    async sweep(batch = 100): Promise<number> {
      let removed = 0;
      for (const row of await attachments.sweepable(now(), batch)) {
        const key = await attachments.condemn(row.id, now());
        if (key === undefined) continue;
        try {
          await blobs.delete(key);
        } catch (error) {
          deps.onError?.(error);
          continue;
        }
        await attachments.remove(row.id);
        removed++;
      }
      return removed;
    },
  };
}

export type AttachmentUseCases = ReturnType<typeof createAttachmentUseCases>;
