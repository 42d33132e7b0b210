// The contract's types for similar-region search ("find more like this", over open slides or the whole
// embedding cache), gallery thumbnails and label suggestions.

/** "Find more like this": the query is a level-0 point/box, or an annotation's bounds. */
export type SimilarityQuery = { x: number; y: number; width?: number; height?: number } | { annotationId: string };

export interface FindSimilarParams {
  slideId: string;
  query: SimilarityQuery;
  /** Grid magnification (µm/px); default the encoder's finest. */
  mpp?: number;
  /**
   * `slide` (default): this slide only; `open-slides`: every slide open in this session; `cache`: every slide
   * in the embedding cache for the encoder and grid (open or not; an ANN index past a few hundred thousand patches).
   */
  scope?: 'slide' | 'open-slides' | 'cache';
  /** Results wanted (default 50, at most 1000). */
  top?: number;
}

/** One similar patch, best first. */
export interface SimilarMatch {
  /** The open slide it is on; '' for a cached slide that is not open (scope `cache`: see `source`). */
  slideId: string;
  slideName: string;
  /** Content fingerprint of its slide (scope `cache`). */
  slideFingerprint?: string;
  /** A cached slide that is not open: where its file was last seen, and whether it is still there (then it can be opened). */
  source?: { path: string | null; exists: boolean };
  /** Thumbnail data URL for a patch on a slide that is not open (regionImage needs an open slide). */
  thumbnail?: string;
  /** Level-0 top-left corner and side of the patch. */
  x: number;
  y: number;
  size: number;
  mpp: number;
  /** Cosine similarity with the query (features standardised over the patches searched), in [-1, 1]. */
  score: number;
}

/** How much of a searched slide is embedded at the search's grid: the UI offers the whole-slide run when little is. */
export interface SimilarityCoverage {
  slideId: string;
  slideName: string;
  /** Patches of the grid in the cache (the candidates searched). */
  embedded: number;
  /** Tissue patches of the grid (what a whole-slide tissue run would embed). */
  tissue: number;
}

export interface SimilarityResult {
  query: {
    slideId: string;
    /** Level-0 box searched (width/height 0: a point). */
    x: number;
    y: number;
    width: number;
    height: number;
    /** The annotation it came from, if any. */
    annotationId: string | null;
    /** What the legend names: "Tumour annotation", "box at 3900, 5300", … */
    label: string;
    mpp: number;
    /** Patches the query covers (their mean embedding is the query). */
    patches: number;
    modelId: string;
  };
  results: SimilarMatch[];
  /** Per open slide searched (scope `cache`: the open ones only; `cache` says the rest). */
  coverage: SimilarityCoverage[];
  /** Scope `cache`: slides and patches the cache holds for this encoder and grid, and how they were searched. */
  cache?: { slides: number; patches: number; method: 'exact' | 'index'; openSlides: number; missingSources: number };
  searchMs: number;
}

/** A region of a slide as a small image (gallery thumbnails). */
export interface RegionImage {
  /** `data:image/jpeg;base64,…` */
  dataUrl: string;
  width: number;
  height: number;
}

/** "Suggest what to label next": a patch where the slide's probe is least sure. */
export interface LabelSuggestion {
  /** Level-0 top-left corner and side of the patch. */
  x: number;
  y: number;
  size: number;
  mpp: number;
  /** p(top class) − p(second class), in [0, 1]: 0 is a coin toss. */
  margin: number;
  top: { className: string; p: number };
  second: { className: string; p: number };
}

export interface SuggestLabelsParams {
  slideId: string;
  /** Default: the probe the slide shows (getActiveProbe). */
  probeId?: string;
  /** Suggestions wanted (default 12, at most 100). */
  count?: number;
}

export interface LabelSuggestions {
  slideId: string;
  probeId: string;
  classNames: string[];
  /** Least certain first, spread over the slide (no two closer than `spacing`). */
  suggestions: LabelSuggestion[];
  /** Level-0 px: the least distance (in x or y) between two suggestions. */
  spacing: number;
  /** Patches the probe scored (what the cache holds of the slide), and how many were left out as dismissed or labelled already. */
  scored: number;
  dismissed: number;
  labelled: number;
}
