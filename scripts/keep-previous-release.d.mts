/** Empties `publicDir` but for the hashed assets its manifest.json names (and their .br and .gz). */
export function keepOnlyPreviousRelease(publicDir: string): void;
