// Scale and magnification arithmetic for the viewer, free of the DOM so it can be tested on its own.

/** The standard objective presets a pathologist expects. */
export const MAGNIFICATION_PRESETS = [1.25, 2.5, 5, 10, 20, 40] as const;

/**
 * The magnification at which level 0 is shown 1:1: the scanner's objective when the file says, else
 * derived from the pixel size (10 µm per pixel at 1×, the usual convention: 0.25 µm/px ≈ 40×), else null.
 */
export function baseMagnification(objectivePower: number | null, mpp: { x: number; y: number } | null): number | null {
  if (objectivePower && objectivePower > 0) return objectivePower;
  if (mpp && mpp.x > 0) return 10 / mpp.x;
  return null;
}

/**
 * The magnification at level 0 shown 1:1 from the scale Tessera uses (SlideInfo.scale): a pixel size the user
 * set wins over the file's objective; with an assumed scale (no objective, no pixel size) it is `assumed`.
 */
export function scaleMagnification(
  objectivePower: number | null,
  scale: { mpp: number; source: 'slide' | 'user' | 'assumed' },
): { base: number; assumed: boolean } {
  if (scale.source === 'user') return { base: 10 / scale.mpp, assumed: false };
  if (objectivePower && objectivePower > 0) return { base: objectivePower, assumed: false };
  return { base: 10 / scale.mpp, assumed: scale.source === 'assumed' };
}

/** Presets the slide has the resolution for (never beyond level 0 shown 1:1). */
export function availablePresets(base: number | null): number[] {
  if (!base) return [];
  return MAGNIFICATION_PRESETS.filter((m) => m <= base * 1.001);
}

/** A scale bar: the longest 1/2/5 × 10^k µm length that fits in `maxPx` screen pixels. */
export function scaleBarLength(umPerScreenPx: number, maxPx = 160): { um: number; px: number; label: string } | null {
  if (!(umPerScreenPx > 0) || !Number.isFinite(umPerScreenPx)) return null;
  const maxUm = umPerScreenPx * maxPx;
  const exp = Math.floor(Math.log10(maxUm));
  let um = 10 ** exp;
  for (const step of [5, 2, 1]) {
    if (step * 10 ** exp <= maxUm) {
      um = step * 10 ** exp;
      break;
    }
  }
  return { um, px: um / umPerScreenPx, label: formatLength(um) };
}

export function formatLength(um: number): string {
  if (um >= 1000) return `${trim(um / 1000)} mm`;
  if (um >= 1) return `${trim(um)} µm`;
  return `${trim(um * 1000)} nm`;
}

export function formatMagnification(mag: number): string {
  if (mag >= 10) return `${mag.toFixed(mag >= 100 ? 0 : 1).replace(/\.0$/, '')}×`;
  return `${mag.toFixed(2).replace(/0$/, '').replace(/\.0$/, '')}×`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function trim(n: number): string {
  return Number(n.toPrecision(6)).toString();
}
