/**
 * In-process fan-out of committed events to the open event streams. Listeners are called synchronously in
 * publish order; one that throws is removed rather than allowed to break the others.
 */
import type { EventRow } from '../store/events.js';

export interface BusEvent {
  event: EventRow;
  /** Who may see it: the conversation's participants at the time of the event. */
  participantIds: readonly string[];
}

/** A session ended (logout), or every session of a user (deactivation, deletion). */
export type SessionEnded = { sessionId: string } | { userId: string };
export type SessionEndedListener = (ended: SessionEnded) => void;

/**
 * `publish` is what the chat service calls after a commit; `deliver` hands an event to the streams. With
 * `relayed` (PostgreSQL, several instances) publishing does nothing: every event, local or not, reaches
 * the streams through the cluster fan-out, in id order.
 */
export function createEventBus(options: { relayed?: boolean } = {}) {
  const listeners = new Set<(e: BusEvent) => void>();
  const sessionListeners = new Set<SessionEndedListener>();
  let shareSessionEnd: ((ended: SessionEnded) => void) | undefined;
  const endHere = (ended: SessionEnded) => {
    for (const listener of sessionListeners) listener(ended);
  };
  const end = (ended: SessionEnded) => {
    endHere(ended);
    shareSessionEnd?.(ended);
  };
  return {
    /** Whether `publish` does nothing (the cluster fan-out delivers): a caller need not gather what it would publish. */
    relayed: options.relayed === true,
    subscribe(listener: (e: BusEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(e: BusEvent): void {
      if (!options.relayed) this.deliver(e);
    },
    deliver(e: BusEvent): void {
      for (const listener of listeners) {
        try {
          listener(e);
        } catch {
          listeners.delete(listener);
        }
      }
    },
    /** Streams of a session that ended (logout) close themselves. */
    onSessionEnded(listener: SessionEndedListener): () => void {
      sessionListeners.add(listener);
      return () => sessionListeners.delete(listener);
    },
    endSession(sessionId: string): void {
      end({ sessionId });
    },
    endUserSessions(userId: string): void {
      end({ userId });
    },
    /**
     * Tells other instances of every session end from now on (redis/session-ends.ts publishes it on Redis);
     * answers the function that stops.
     */
    shareSessionEnds(share: (ended: SessionEnded) => void): () => void {
      shareSessionEnd = share;
      return () => {
        if (shareSessionEnd === share) shareSessionEnd = undefined;
      };
    },
    /** A session end that another instance told of: this instance's streams of it close. */
    sessionEndedElsewhere(ended: SessionEnded): void {
      endHere(ended);
    },
    get size() {
      return listeners.size;
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
