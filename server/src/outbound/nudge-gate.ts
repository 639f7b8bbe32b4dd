/**
 * Nudges of the outbox's workers, at most one per gap. Any event the bus delivers may come with outbox rows
 * due now (a webhook delivery, an assistant's reply), so the workers are nudged at each one (`nudgeForEvent`); under
 * load that is hundreds a second on every instance, each nudge a claim statement that mostly finds nothing.
 * Through the gate, the first nudge after a quiet gap goes through at once (nothing waits when the instance
 * is idle), and those that come during the gap after it are one nudge at its end.
 */
import { EVENT } from '#shared/constants.js';

export interface NudgeGate {
  nudge(): void;
  /** Drops a nudge waiting for its gap's end (the workers are stopping). */
  stop(): void;
}

/** The default gap: a webhook or a reply waits at most this long longer under load. */
export const NUDGE_GAP_MS = 20;

export function gateNudges(nudge: () => void, gapMs = NUDGE_GAP_MS): NudgeGate {
  let gap: NodeJS.Timeout | null = null;
  let waiting = false;

  function openGap(): void {
    gap = setTimeout(() => {
      gap = null;
      if (!waiting) return;
      waiting = false;
      nudge();
      openGap();
    }, gapMs);
    gap.unref();
  }

  return {
    nudge() {
      if (gap) {
        waiting = true;
        return;
      }
      nudge();
      openGap();
    },
    stop() {
      if (gap) clearTimeout(gap);
      gap = null;
      waiting = false;
    },
  };
}

/**
 * The nudges one committed event makes: the outbox's worker at every one (it may come with webhook
 * deliveries); the assistant's at a new message, and only while an assistant exists (`assistantsExist`,
 * answered from memory): without one no message comes with a reply. A failed answer nudges anyway.
 */
export function nudgeForEvent(type: string, gates: { outbound: NudgeGate; assistant: NudgeGate }, assistantsExist: () => Promise<boolean>): void {
  gates.outbound.nudge();
  if (type !== EVENT.messageCreated) return;
  assistantsExist().then(
    (exist) => exist && gates.assistant.nudge(),
    () => gates.assistant.nudge(),
  );
}
