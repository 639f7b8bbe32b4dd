/**
 * Colour contrast as WCAG 2.x defines it (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance and
 * #dfn-contrast-ratio), for the widget's accent colour: the server answers the text colour to draw on an
 * administrator's accent, and the widget applies the same function to a host page's `data-accent-color`.
 *
 * Of white and black, one always reaches 4.5:1 (WCAG 1.4.3, normal text) on any opaque colour: the worst
 * case is a luminance of √0.0525 − 0.05 ≈ 0.179, where both give about 4.58:1.
 *
 * Kept free of dependencies so that the widget can share it without growing.
 */

const HEX_COLOR = /^#[0-9a-f]{6}$/i;

export const WHITE = '#ffffff';
export const BLACK = '#000000';

/** One sRGB channel (0–255) made linear (WCAG 2.x, relative luminance). */
function linear(channel: number): number {
  const c = channel / 255;
  // WCAG 2.x writes 0.03928, the sRGB standard 0.04045: no 8-bit value lies between them, so both agree here.
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/**
 * The relative luminance of a `#rrggbb` colour (either case), from 0 (black) to 1 (white). Anything else is a
 * caller's mistake (read the colour with its field rule first) and throws a TypeError.
 */
export function relativeLuminance(hex: string): number {
  if (!HEX_COLOR.test(hex)) throw new TypeError(`relativeLuminance expects a #rrggbb colour, got ${JSON.stringify(hex)}`);
  const [r, g, b] = [1, 3, 5].map((at) => linear(Number.parseInt(hex.slice(at, at + 2), 16))) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The contrast ratio of two `#rrggbb` colours, from 1 (the same luminance) to 21 (black on white); symmetric. */
export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * The text colour for a `#rrggbb` background: `#ffffff` or `#000000`, whichever contrasts more with it (white
 * when they tie), which always reaches 4.5:1.
 */
export function textColorOn(hex: string): typeof WHITE | typeof BLACK {
  return contrastRatio(hex, WHITE) >= contrastRatio(hex, BLACK) ? WHITE : BLACK;
}
