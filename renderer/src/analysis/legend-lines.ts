// The on-viewer legends (heatmap, similarity): lines of text and a colour ramp, built the same way for both.
import type { ColourMapName } from '../../../main/common/colour-maps';
import { colourGradient } from './colour-maps';

/** Appends a line `text` (with `data-testid`) to `legend`; returns it. */
export function legendLine(legend: HTMLElement, text: string, testid: string, style: Partial<CSSStyleDeclaration> = {}): HTMLElement {
  const el = document.createElement('div');
  el.textContent = text;
  el.dataset.testid = testid;
  Object.assign(el.style, style);
  legend.appendChild(el);
  return el;
}

/** Appends the colour map's ramp (decorative: the scale line under it says what it means). */
export function legendRamp(legend: HTMLElement, colourMap: ColourMapName, testid: string): HTMLElement {
  const ramp = legendLine(legend, '', testid, { height: '10px', margin: '4px 0 2px', borderRadius: '2px', background: colourGradient(colourMap) });
  ramp.setAttribute('aria-hidden', 'true');
  return ramp;
}
