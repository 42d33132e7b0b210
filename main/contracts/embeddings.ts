// What the encoder runtime hands to probes, heatmaps and exports: embeddings of one fixed patch grid.

/** A patch grid at one magnification: 224×224 patches at `mpp` µm/px, aligned to the slide origin. */
export interface PatchGrid {
  /** µm per pixel of the patch pixels (the encoder's magnification, e.g. 0.5, 1, 2). */
  mpp: number;
  /** Patch side in patch pixels (224 for ViT-S/16). */
  patchSize: number;
  /** Patch side in level-0 pixels: patchSize × mpp / slide mpp. Patch (i, j) covers [i·t, i·t + s) × [j·t, j·t + s). */
  level0Size: number;
  /**
   * Distance between neighbouring patch origins in level-0 px (t above), when the patches overlap
   * (stride < patch size); absent: t = s, the non-overlapping grid. `gridStep` reads it.
   */
  level0Stride?: number;
}

/** Embeddings of N patches of one slide, one model, one grid. Row i of `features` belongs to patch i. */
export interface EmbeddingSet {
  /** Content fingerprint of the slide (not its path). */
  slideFingerprint: string;
  modelId: string;
  grid: PatchGrid;
  /** Embedding size D. */
  dim: number;
  /** [N·2] top-left corners in level-0 pixels (x0, y0, x1, y1, …). */
  coords: Int32Array;
  /** [N·D] row-major. */
  features: Float32Array;
  /** True when the slide states no scale and level 0 was assumed to be 0.5 µm/px (magnifications approximate). */
  slideMppAssumed?: boolean;
}
