/**
 * WCAG 2.x relative luminance and contrast ratio (shared/src/contrast.ts), against the definition's known
 * values, and the text colour on an accent: whichever of white and black contrasts more, which reaches 4.5:1
 * on every colour (a property over generated colours, seed printed; PARLEY_FUZZ_SEED replays a run).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLACK, contrastRatio, relativeLuminance, textColorOn, WHITE } from '#shared/contrast.js';

const SEED = process.env['PARLEY_FUZZ_SEED'] !== undefined ? Number(process.env['PARLEY_FUZZ_SEED']) : Math.floor(Math.random() * 2 ** 31);
const hex = (n: number) => `#${n.toString(16).padStart(6, '0')}`;
const anyColor = fc.integer({ min: 0, max: 0xffffff }).map(hex);

describe('relativeLuminance', () => {
  it('is 0 for black, 1 for white, and weighs green most, blue least', () => {
    expect(relativeLuminance('#000000')).toBe(0);
    expect(relativeLuminance('#ffffff')).toBeCloseTo(1, 12);
    expect(relativeLuminance('#FF0000')).toBeCloseTo(0.2126, 12);
    expect(relativeLuminance('#00ff00')).toBeCloseTo(0.7152, 12);
    expect(relativeLuminance('#0000ff')).toBeCloseTo(0.0722, 12);
    // Mid grey: the sRGB curve, not a straight line (0.5 would be wrong).
    expect(relativeLuminance('#808080')).toBeCloseTo(0.2158605, 6);
  });

  it('throws a TypeError for anything but #rrggbb', () => {
    for (const bad of ['#fff', 'ffffff', '#gggggg', '', 'red', '#ffffff ']) expect(() => relativeLuminance(bad), bad).toThrow(TypeError);
  });
});

describe('contrastRatio', () => {
  it('is 21 for black on white, 1 for a colour on itself, and symmetric', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 12);
    expect(contrastRatio('#3056d3', '#3056d3')).toBe(1);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.478, 3);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.542, 3);
    fc.assert(
      fc.property(anyColor, anyColor, (a, b) => contrastRatio(a, b) === contrastRatio(b, a) && contrastRatio(a, b) >= 1 && contrastRatio(a, b) <= 21),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('textColorOn', () => {
  it('white on dark accents, black on light ones', () => {
    expect(textColorOn('#3056d3')).toBe(WHITE);
    expect(textColorOn('#000000')).toBe(WHITE);
    expect(textColorOn('#1D2330')).toBe(WHITE);
    expect(textColorOn('#ffffff')).toBe(BLACK);
    expect(textColorOn('#ffd400')).toBe(BLACK);
    // Around the crossover (luminance ≈ 0.179): #757575 is 4.6:1 with white, #777777 only 4.48:1.
    expect(textColorOn('#757575')).toBe(WHITE);
    expect(textColorOn('#777777')).toBe(BLACK);
  });

  it('always reaches 4.5:1, and is the better of the two (property)', () => {
    console.log(`textColorOn property seed: ${SEED} (PARLEY_FUZZ_SEED=${SEED} replays it)`);
    fc.assert(
      fc.property(anyColor, fc.boolean(), (color, upper) => {
        const background = upper ? color.toUpperCase() : color;
        const text = textColorOn(background);
        const other = text === WHITE ? BLACK : WHITE;
        return contrastRatio(background, text) >= 4.5 && contrastRatio(background, text) >= contrastRatio(background, other);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('reaches 4.5:1 at the worst grey, where white and black contrast almost alike', () => {
    let worst = Infinity;
    for (let v = 0; v < 256; v++) {
      const grey = hex(v * 0x010101);
      worst = Math.min(worst, contrastRatio(grey, textColorOn(grey)));
    }
    // #757575 (4.61:1 with white): the margin over 4.5 is small, so a wrong formula would show here.
    expect(worst).toBeGreaterThanOrEqual(4.5);
    expect(worst).toBeLessThan(4.62);
  });
});
