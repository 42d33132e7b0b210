// A probe report a pathologist can open anywhere: one self-contained HTML file, ROC curves as inline SVG.
import { probeSlideNames } from '../heatmap/assumptions.js';
import type { ProbeFile } from '../probe/probe-file.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | undefined | null, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

function rocSvg(probe: ProbeFile): string {
  const cv = probe.metrics.crossValidation;
  if (!cv) return '<p>No cross-validated ROC: too few annotation regions to hold any out.</p>';
  const size = 320;
  const pad = 36;
  const px = (v: number) => pad + v * (size - 2 * pad);
  const py = (v: number) => size - pad - v * (size - 2 * pad);
  const curves = cv.perClass
    .map((c, k) => {
      const [r, g, b] = probe.classes[k]?.colour ?? [0, 0, 0];
      const pts = c.roc.fpr.map((f, i) => `${px(f).toFixed(1)},${py(c.roc.tpr[i]).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="rgb(${r},${g},${b})" stroke-width="2" points="${pts}"><title>${esc(c.name)} AUROC ${fmt(c.auroc)}</title></polyline>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" role="img" aria-label="ROC curves">
<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#999"/>
<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#ccc" stroke-dasharray="4"/>
${curves}
<text x="${size / 2}" y="${size - 8}" text-anchor="middle" font-size="12">false positive rate</text>
<text x="12" y="${size / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${size / 2})">true positive rate</text>
</svg>`;
}

export interface ProbeReportContext {
  /**
   * Values the analysis assumed rather than read (a pixel size the slide does not state, a probe trained on
   * another slide, a model's magnification): listed prominently so no reader mistakes them for facts.
   */
  assumptions?: readonly string[];
}

export function probeReportHtml(probe: ProbeFile, title = 'Probe report', context: ProbeReportContext = {}): string {
  const cv = probe.metrics.crossValidation;
  const rows = probe.classes
    .map((c, k) => {
      const m = cv?.perClass[k];
      const [r, g, b] = c.colour;
      return `<tr><td><span class="sw" style="background:rgb(${r},${g},${b})"></span>${esc(c.name)}</td><td>${probe.metrics.perClassCount[k] ?? 0}</td><td>${fmt(m?.auroc)}</td></tr>`;
    })
    .join('\n');
  const assumptions = context.assumptions?.length
    ? `<h2>Assumptions</h2><p>This analysis used values it assumed rather than read:</p><ul data-section="assumptions">${context.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`
    : '';
  const warnings = probe.training.warnings.length ? `<h2>Warnings</h2><ul>${probe.training.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}.sw{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>Encoder <b>${esc(probe.encoder.modelId)}</b>${probe.encoder.checksum ? ` (sha256 ${esc(probe.encoder.checksum.slice(0, 12))}…)` : ''}, magnifications ${probe.magnifications.join(' + ')} µm/px, ${probe.dim} features, L2 ${probe.l2}.</p>
<p>Trained ${esc(probe.training.createdAt)} on ${probe.training.patchCount} patches from ${probe.training.slides.length} slide(s) (${probeSlideNames(probe).map(esc).join(', ')}), ${probe.training.slides.reduce((s, x) => s + x.annotationIds.length, 0)} annotation regions${probe.training.stride ? `, patches every ${probe.training.stride} px` : ''}.</p>
${assumptions}
<h2>Cross-validated metrics</h2>
${cv ? `<p>${cv.folds}-fold cross-validation grouped by annotation region: accuracy <b>${fmt(cv.accuracy)}</b>, macro AUROC <b>${fmt(cv.macroAuroc)}</b>.</p>` : '<p>Not available.</p>'}
<table><thead><tr><th>class</th><th>patches</th><th>AUROC (one-vs-rest)</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>ROC curves</h2>
${rocSvg(probe)}
${warnings}
</body></html>
`;
}
