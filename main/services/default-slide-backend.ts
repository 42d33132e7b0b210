// The production SlideBackend: the slide engine, the Deep Zoom tile service and the built-in sample.
//
// Tile layout. The viewer does not care which Deep Zoom layout it gets (it reads tile size and overlap
// from SlideInfo.deepZoom, and any DZI client reads them from `/slides/<id>.dzi`), so by default each
// slide gets the cheapest one to serve: 'native' = the slide's stored tile size with no overlap where
// its stored levels line up with Deep Zoom levels (power-of-2 downsamples, one square tile size), so
// most tiles are the stored JPEG bytes sent as they are (~2× the tiles per second of 254/1, which
// re-encodes every tile from 4 decoded stored tiles); 254/1 for anything else. 'openslide' forces
// OpenSlide's DeepZoomGenerator layout (254/1) for every slide, for clients that hard-code it or
// compare tiles with OpenSlide's: `tessera serve --tile-layout openslide`. Whatever a slide's service
// was created with is what its `.dzi`, its tiles and SlideInfo.deepZoom describe. `tessera tile` has
// its own options and stays 254/1 by default.
import { openSlide } from '../slide/open-slide.js';
import type { SlideLevel } from '../slide/slide-reader.js';
import { DeepZoomTileService } from '../tiles/index.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import type { SlideBackend } from './slide-service.js';

export type TileLayout = 'native' | 'openslide';

export const OPENSLIDE_LAYOUT = { tileSize: 254, overlap: 1 } as const;

/** Deep Zoom tile size and overlap for `layout` on a slide with these stored levels. */
export function deepZoomLayout(levels: readonly SlideLevel[], layout: TileLayout = 'native'): { tileSize: number; overlap: number } {
  if (layout === 'openslide') return { ...OPENSLIDE_LAYOUT };
  const t = levels[0]?.tileWidth ?? 0;
  const aligned =
    t >= 128 &&
    t <= 1024 &&
    levels.every((l) => {
      const log = Math.log2(l.downsample);
      const pow2 = 2 ** Math.round(log);
      return l.tileWidth === t && l.tileHeight === t && Math.abs(l.downsample / pow2 - 1) <= 0.01;
    });
  return aligned ? { tileSize: t, overlap: 0 } : { ...OPENSLIDE_LAYOUT };
}

export interface DefaultSlideBackendOptions {
  /** Default 'native' (see above). */
  tileLayout?: TileLayout;
}

export function createDefaultSlideBackend(options: DefaultSlideBackendOptions = {}): SlideBackend {
  const layout = options.tileLayout ?? 'native';
  return {
    openSlide: (path) => openSlide(path),
    createTileService: (reader) => {
      const dz = deepZoomLayout(reader.levels, layout);
      // The native-aligned layout reads near-power-of-2 stored levels 1:1 so their tiles pass through.
      const service = new DeepZoomTileService(reader, { ...dz, snapToStoredLevels: dz.overlap === 0 });
      // One-level slides: build the overview levels in the background so the first low-zoom tiles don't wait.
      void service.warmUp();
      return service;
    },
    ensureSampleSlide,
  };
}
