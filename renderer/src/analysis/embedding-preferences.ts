// The embedding preferences remembered in the browser's storage: "embed the visible tissue in the
// background" (on unless turned off) and the magnifications chosen per model id. Storage may be unavailable
// (a locked-down profile): then the defaults, and a choice applies to this session only.
const BACKGROUND_EMBEDDING_KEY = 'tessera.backgroundEmbedding';

/** The remembered "Embed the visible tissue in the background" preference (on unless turned off). */
export function loadBackgroundEmbedding(): boolean {
  try {
    return globalThis.localStorage?.getItem(BACKGROUND_EMBEDDING_KEY) !== 'off';
  } catch {
    return true;
  }
}

const EMBEDDING_MPPS_KEY = 'tessera.embeddingMpps';

/** The remembered magnifications chosen per model id (for background embedding and training). */
export function loadMppChoice(): Record<string, number[]> {
  try {
    const v = JSON.parse(globalThis.localStorage?.getItem(EMBEDDING_MPPS_KEY) ?? '{}') as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Record<string, number[]> = {};
    for (const [k, m] of Object.entries(v as Record<string, unknown>))
      if (Array.isArray(m) && m.every((x) => typeof x === 'number' && x > 0)) out[k] = m as number[];
    return out;
  } catch {
    return {};
  }
}

export function saveBackgroundEmbedding(on: boolean): void {
  try {
    globalThis.localStorage?.setItem(BACKGROUND_EMBEDDING_KEY, on ? 'on' : 'off');
  } catch {
    // Not remembered (storage unavailable): still applies to this session.
  }
}

export function saveMppChoice(choice: Record<string, number[]>): void {
  try {
    globalThis.localStorage?.setItem(EMBEDDING_MPPS_KEY, JSON.stringify(choice));
  } catch {
    // Not remembered (storage unavailable): still applies to this session.
  }
}
