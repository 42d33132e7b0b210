// The production SlideBackend: the slide engine, the Deep Zoom tile service and the built-in sample.
import { openSlide } from '../slide/open-slide.js';
import { DeepZoomTileService } from '../tiles/index.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import type { SlideBackend } from './slide-service.js';

export function createDefaultSlideBackend(): SlideBackend {
  return {
    openSlide: (path) => openSlide(path),
    createTileService: (reader) => {
      const service = new DeepZoomTileService(reader, { tileSize: 254, overlap: 1 });
      // One-level slides: build the overview levels in the background so the first low-zoom tiles don't wait.
      void service.warmUp();
      return service;
    },
    ensureSampleSlide,
  };
}
