/**
 * parley/react: a React binding of widget.js's `window.Parley` API (README.md, The widget, React). React is
 * the app's own (a peer dependency); nothing of React is inside widget.js.
 */
export { ParleyProvider, useParley, type ParleyProviderProps } from './provider.js';
export { useParleyEvent } from './event.js';
export type {
  ParleyApi,
  ParleyAuthProvider,
  ParleyError,
  ParleyEventName,
  ParleyEventPayloads,
  ParleyMessage,
  ParleyUser,
} from '../../widget/types/parley.js';
