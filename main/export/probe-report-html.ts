// A probe report a pathologist can open anywhere: one self-contained HTML file, ROC curves as inline SVG.
import { probeSlideNames } from '../heatmap/assumptions.js';
import type { ProbeFile } from '../probe/probe-file.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | undefined | null, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

function rocSvg(probe: ProbeFile, marks: readonly OperatingPoint[] = []): string {
  const cv = probe.metrics.crossValidation;
  if (!cv) return '<p>No cross-validated ROC: too few annotation regions to hold any out.</p>';
  const size = 340;
  const pad = 44;
  const px = (v: number) => pad + v * (size - 2 * pad);
  const py = (v: number) => size - pad - v * (size - 2 * pad);
  const curves = cv.perClass
    .map((c, k) => {
      const [r, g, b] = probe.classes[k]?.colour ?? [0, 0, 0];
      const pts = c.roc.fpr.map((f, i) => `${px(f).toFixed(1)},${py(c.roc.tpr[i]).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="rgb(${r},${g},${b})" stroke-width="2" points="${pts}"><title>${esc(c.name)} AUROC ${fmt(c.auroc)}</title></polyline>`;
    })
    .join('');
  const ticks = TICKS.map(
    (t) =>
      `<g class="tick" data-axis="x"><line x1="${px(t)}" y1="${py(0)}" x2="${px(t)}" y2="${py(0) + 5}" stroke="#666"/><text x="${px(t)}" y="${py(0) + 17}" text-anchor="middle" font-size="11">${t.toFixed(1)}</text></g>` +
      `<g class="tick" data-axis="y"><line x1="${px(0) - 5}" y1="${py(t)}" x2="${px(0)}" y2="${py(t)}" stroke="#666"/><text x="${px(0) - 8}" y="${py(t) + 4}" text-anchor="end" font-size="11">${t.toFixed(1)}</text></g>`,
  ).join('');
  const points = marks
    .map((m) => {
      const [r, g, b] = probe.classes.find((c) => c.name === m.className)?.colour ?? [0, 0, 0];
      return `<circle cx="${px(1 - m.specificity).toFixed(1)}" cy="${py(m.sensitivity).toFixed(1)}" r="4" fill="rgb(${r},${g},${b})" stroke="#000"><title>${esc(m.className)} at threshold ${fmt(m.threshold, 2)}</title></circle>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" role="img" aria-label="ROC curves">
<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#999"/>
<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#ccc" stroke-dasharray="4"/>
${ticks}
${curves}
${points}
<text x="${size / 2}" y="${size - 6}" text-anchor="middle" font-size="12">false positive rate (1 − specificity)</text>
<text x="12" y="${size / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${size / 2})">true positive rate (sensitivity)</text>
</svg>`;
}

/** One class against the rest at a probability threshold, from the cross-validated (held-out) predictions. */
export interface OperatingPoint {
  className: string;
  threshold: number;
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
  trueNegatives: number;
  sensitivity: number;
  specificity: number;
}

/**
 * The operating point of class `k` at `threshold`: the ROC point of the lowest stored score cut ≥ threshold
 * ("positive when p ≥ threshold"). Null when the probe has no cross-validation or predates stored cuts.
 */
export function operatingPoint(probe: ProbeFile, k: number, threshold: number): OperatingPoint | null {
  const cv = probe.metrics.crossValidation;
  const c = cv?.perClass[k];
  const cuts = c?.roc.thresholds;
  if (!cv || !c || !cuts || cuts.length !== c.roc.fpr.length) return null;
  const total = cv.perClass.reduce((s, x) => s + x.count, 0);
  const P = c.count;
  const N = total - P;
  let i = 0;
  while (i + 1 < cuts.length && cuts[i + 1] >= threshold) i++;
  const tp = Math.round(c.roc.tpr[i] * P);
  const fp = Math.round(c.roc.fpr[i] * N);
  return {
    className: c.name,
    threshold,
    truePositives: tp,
    falseNegatives: P - tp,
    falsePositives: fp,
    trueNegatives: N - fp,
    sensitivity: P ? tp / P : NaN,
    specificity: N ? (N - fp) / N : NaN,
  };
}

function confusionHtml(m: OperatingPoint): string {
  const name = esc(m.className);
  return `<table class="confusion" data-section="confusion" data-class="${name}"><caption>${name} vs the rest at p ≥ ${fmt(m.threshold, 2)} (held-out patches)</caption>
<thead><tr><th></th><th>predicted ${name}</th><th>predicted not ${name}</th></tr></thead>
<tbody><tr><th>true ${name}</th><td data-cell="tp">${m.truePositives}</td><td data-cell="fn">${m.falseNegatives}</td></tr>
<tr><th>true not ${name}</th><td data-cell="fp">${m.falsePositives}</td><td data-cell="tn">${m.trueNegatives}</td></tr></tbody></table>
<p>Sensitivity <b data-metric="sensitivity">${fmt(m.sensitivity)}</b>, specificity <b data-metric="specificity">${fmt(m.specificity)}</b> at threshold ${fmt(m.threshold, 2)}.</p>`;
}

/** A training region as the report lists it. */
export interface ReportRegion {
  id: string;
  /** The annotation's name; null when it has none (or it is not on this slide). */
  name: string | null;
  className: string | null;
  slideName: string | null;
}

export interface ProbeReportContext {
  /**
   * Values the analysis assumed rather than read (a pixel size the slide does not state, a probe trained on
   * another slide, a model's magnification): listed prominently so no reader mistakes them for facts.
   */
  assumptions?: readonly string[];
  /** A PNG of the slide with the heatmap over it, embedded in the report. */
  thumbnailPng?: Uint8Array;
  /** The threshold the confusion matrix, sensitivity and specificity are stated at (default 0.5). */
  threshold?: number;
  /** The class shown in the thumbnail and the confusion matrix (default the probe's first class). */
  className?: string;
  /** The annotation regions the probe was trained on, with their names where known. */
  regions?: readonly ReportRegion[];
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
  const threshold = context.threshold ?? 0.5;
  const points = probe.classes.map((_, k) => operatingPoint(probe, k, threshold)).filter((m): m is OperatingPoint => m !== null);
  const chosen = points.find((m) => m.className === context.className) ?? points[0];
  const confusion = cv
    ? chosen
      ? `${confusionHtml(chosen)}
<table data-section="operating-points"><thead><tr><th>class</th><th>sensitivity</th><th>specificity</th></tr></thead><tbody>
${points.map((m) => `<tr><td>${esc(m.className)}</td><td>${fmt(m.sensitivity)}</td><td>${fmt(m.specificity)}</td></tr>`).join('\n')}
</tbody></table>`
      : '<p>This probe was saved before held-out score cuts were kept: retrain it for a confusion matrix.</p>'
    : '';
  const thumbnail = context.thumbnailPng
    ? `<h2>Slide and heatmap</h2><figure><img data-section="thumbnail" alt="Slide thumbnail with the ${esc(context.className ?? probe.classes[0]?.name ?? '')} heatmap" src="data:image/png;base64,${Buffer.from(context.thumbnailPng).toString('base64')}" style="max-width:100%"></figure>`
    : '';
  const regions = context.regions?.length
    ? `<h2>Training regions</h2><ol data-section="regions">${context.regions
        .map(
          (r) =>
            `<li data-region="${esc(r.id)}">${r.name ? `<b>${esc(r.name)}</b>` : `<i>unnamed</i> (${esc(r.id)})`}${r.className ? ` — ${esc(r.className)}` : ''}${r.slideName ? `, ${esc(r.slideName)}` : ''}</li>`,
        )
        .join('')}</ol>`
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
${thumbnail}
<h2>Cross-validated metrics</h2>
${cv ? `<p>${cv.folds}-fold cross-validation grouped by annotation region: accuracy <b>${fmt(cv.accuracy)}</b>, macro AUROC <b>${fmt(cv.macroAuroc)}</b>.</p>` : '<p>Not available.</p>'}
<table><thead><tr><th>class</th><th>patches</th><th>AUROC (one-vs-rest)</th></tr></thead><tbody>
${rows}
</tbody></table>
${confusion}
<h2>ROC curves</h2>
${rocSvg(probe, chosen ? [chosen] : [])}
${regions}
${warnings}
</body></html>
`;
}
