// "Snapshot of the view": what is on screen as one PNG — OpenSeadragon's drawer canvas, the analysis canvases
// over it (heatmap, annotations), the heatmap legend and the scale bar — at the screen's device pixels.

/** Colour stops of a CSS `linear-gradient(…)` (rgb()/rgba()/#hex), evenly spaced. */
function gradientColours(css: string): string[] {
  return css.match(/rgba?\([^)]*\)|#[0-9a-fA-F]{3,8}\b/g) ?? [];
}

function drawLegend(ctx: CanvasRenderingContext2D, legend: HTMLElement, origin: DOMRect): void {
  const box = legend.getBoundingClientRect();
  const x = box.left - origin.left;
  const y = box.top - origin.top;
  ctx.fillStyle = 'rgba(20,20,24,0.82)';
  ctx.fillRect(x, y, box.width, box.height);
  for (const child of Array.from(legend.children) as HTMLElement[]) {
    const r = child.getBoundingClientRect();
    const cx = r.left - origin.left;
    const cy = r.top - origin.top;
    const stops = gradientColours(getComputedStyle(child).backgroundImage);
    if (stops.length >= 2) {
      const g = ctx.createLinearGradient(cx, 0, cx + r.width, 0);
      stops.forEach((c, i) => g.addColorStop(i / (stops.length - 1), c));
      ctx.fillStyle = g;
      ctx.fillRect(cx, cy, r.width, r.height);
      continue;
    }
    const style = getComputedStyle(child);
    ctx.fillStyle = style.color || '#f3f3f3';
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    ctx.textBaseline = 'top';
    if (style.display === 'flex' && child.textContent?.includes('→')) {
      const [left, right] = child.textContent.split('→');
      ctx.textAlign = 'left';
      ctx.fillText(left.trim(), cx, cy);
      ctx.textAlign = 'right';
      ctx.fillText(right.trim(), cx + r.width, cy);
      ctx.textAlign = 'left';
    } else ctx.fillText(child.textContent ?? '', cx, cy, r.width);
  }
}

function drawScaleBar(ctx: CanvasRenderingContext2D, el: HTMLElement, origin: DOMRect): void {
  const box = el.getBoundingClientRect();
  ctx.fillStyle = 'rgba(20,22,25,0.78)';
  ctx.fillRect(box.left - origin.left, box.top - origin.top, box.width, box.height);
  const bar = el.querySelector<HTMLElement>('.bar');
  if (bar) {
    const r = bar.getBoundingClientRect();
    ctx.fillStyle = '#e8eaed';
    ctx.fillRect(r.left - origin.left, r.top - origin.top, r.width, Math.max(2, r.height));
  }
  const label = el.querySelector<HTMLElement>('.label');
  if (label) {
    const r = label.getBoundingClientRect();
    ctx.fillStyle = '#e8eaed';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(label.textContent ?? '', r.left - origin.left, r.top - origin.top);
  }
}

/**
 * The view as a PNG: `root` is the viewer's wrapper; `canvasHost` the element holding OpenSeadragon's drawer
 * canvas and the overlays drawn over it (viewer.canvas). The navigator and the buttons are left out.
 */
export async function snapshotView(root: HTMLElement, canvasHost: HTMLElement): Promise<Blob> {
  const origin = root.getBoundingClientRect();
  const scale = window.devicePixelRatio || 1;
  const out = document.createElement('canvas');
  out.width = Math.max(1, Math.round(origin.width * scale));
  out.height = Math.max(1, Math.round(origin.height * scale));
  const ctx = out.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = getComputedStyle(canvasHost).backgroundColor || '#000';
  ctx.fillRect(0, 0, origin.width, origin.height);
  for (const c of Array.from(canvasHost.querySelectorAll('canvas'))) {
    if (c.closest('.navigator') || c.width === 0 || c.height === 0) continue;
    const r = c.getBoundingClientRect();
    const opacity = Number(getComputedStyle(c).opacity);
    ctx.globalAlpha = Number.isFinite(opacity) ? opacity : 1;
    ctx.drawImage(c, r.left - origin.left, r.top - origin.top, r.width, r.height);
  }
  ctx.globalAlpha = 1;
  const legend = root.querySelector<HTMLElement>('[data-testid="viewer-heatmap-legend"]');
  if (legend && legend.style.display !== 'none') drawLegend(ctx, legend, origin);
  const scaleBar = root.querySelector<HTMLElement>('[data-testid="scale-bar"]');
  if (scaleBar) drawScaleBar(ctx, scaleBar, origin);
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('the view could not be captured'))), 'image/png'));
}

/** Saves `blob` through the browser's download (Electron asks where). */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
