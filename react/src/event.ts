/** `useParleyEvent(name)`: the latest payload of one of the widget's events, as React state. */
import { useEffect, useState } from 'react';
import type { ParleyEventName, ParleyEventPayloads } from '../../widget/types/parley.js';
import { useParley } from './provider.js';

/**
 * Subscribes to `event` through `Parley.on` while the component is mounted and answers the payload of the
 * latest one (undefined until one arrives after the subscription), re-rendering at each event, even one
 * with the same or no payload. Changing `event` starts again from undefined. Throws a TypeError outside a
 * `<ParleyProvider>`.
 */
export function useParleyEvent<E extends ParleyEventName>(event: E): ParleyEventPayloads[E] | undefined {
  const client = useParley();
  // A fresh object per event, so that React re-renders even when the payload is the same (or undefined).
  const [latest, setLatest] = useState<{ event: E; payload: ParleyEventPayloads[E] } | null>(null);
  useEffect(() => client.on(event, (payload) => setLatest({ event, payload })), [client, event]);
  return latest !== null && latest.event === event ? latest.payload : undefined;
}
