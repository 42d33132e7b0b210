// Debian's Chromium driven by playwright-core (no downloaded browsers): launch, and skip without it.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

/** For `test(name, { skip: skipWithoutChromium }, fn)`. */
export const skipWithoutChromium: false | string = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath} (apt-get install chromium, or set TESSERA_CHROMIUM): end-to-end tests skipped`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-precise-memory-info',
    ],
  });
}
