/**
 * The replies streaming in this process, by conversation, so that a stop (the user's Stop, a take-over, a
 * hand-off) made through this instance ends its reply at once. A reply streaming on another instance sees
 * the stop flag its row carries (store/assistants.ts `requestStop`) at its next check, within ~200 ms.
 */
/** Why a reply is stopped: asked (a user's Stop, a take-over, a hand-off), or the process shutting down. */
export type StopReason = 'asked' | 'shutdown';

export function createReplyRegistry() {
  const byConversation = new Map<string, Set<(reason: StopReason) => void>>();
  return {
    /** Registers `stop` for a reply of `conversationId`; answers the function that removes it. */
    add(conversationId: string, stop: (reason: StopReason) => void): () => void {
      let set = byConversation.get(conversationId);
      if (!set) byConversation.set(conversationId, (set = new Set()));
      set.add(stop);
      return () => {
        set.delete(stop);
        if (set.size === 0) byConversation.delete(conversationId);
      };
    },
    /** Stops the conversation's replies streaming here. */
    stopConversation(conversationId: string): void {
      for (const stop of byConversation.get(conversationId) ?? []) stop('asked');
    },
    /** Stops every reply streaming here (the process is shutting down). */
    stopAll(): void {
      for (const set of byConversation.values()) for (const stop of set) stop('shutdown');
    },
  };
}

export type ReplyRegistry = ReturnType<typeof createReplyRegistry>;
