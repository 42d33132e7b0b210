// `--mpp-override <µm/px>`: the level-0 pixel size the commands that use one take instead of the slide's own
// and of one the user set for it in the app (slide/slide-pixel-size.ts). For this run only; nothing is stored.
import { checkUserMpp } from '../slide/slide-pixel-size.js';

export const mppOverrideFlags = '--mpp-override <µm/px>';
export const mppOverrideHelp = "level-0 pixel size to use instead of the slide's (or the one set for it in the app); this run only";

/** The parsed flag, undefined when absent; a bad value fails before any work. */
export function parseMppOverride(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mpp = checkUserMpp(value.trim() === '' ? NaN : Number(value));
  if (typeof mpp === 'string') throw new Error(`--mpp-override: ${mpp}`);
  return mpp;
}
