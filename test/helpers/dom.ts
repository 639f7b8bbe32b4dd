/**
 * Rendering Preact components in happy-dom tests: a fresh container per test, unmounting, letting promises
 * settle, and a click that waits for the re-render.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';

/** A fresh `<div>` in the document's body, for one test to render into. */
export function addContainer(): HTMLElement {
  const container = document.createElement('div');
  document.body.appendChild(container);
  return container;
}

/** Unmounts what `container` holds and takes it out of the document. */
export function removeContainer(container: HTMLElement): void {
  render(null, container);
  container.remove();
}

/** Unmounts what `container` holds, letting Preact finish inside `act`. */
export async function unmount(container: HTMLElement): Promise<void> {
  await act(() => {
    render(null, container);
  });
}

/** Lets pending promises settle and Preact re-render. */
export const settle = () =>
  act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
  });

/** Clicks `element` and lets what follows settle (`settles` rounds of it). */
export async function click(element: HTMLElement, settles = 1): Promise<void> {
  await act(() => {
    element.click();
  });
  for (let i = 0; i < settles; i++) await settle();
}
