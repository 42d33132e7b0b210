// A SlideBackend for transport tests: any path containing "bad" fails like a corrupt file, anything
// else opens a small in-memory slide (the tile service's own test slide). Real slides are tested in e2e.
import { SlideError } from '../../slide/slide-errors.js';
import { DeepZoomTileService } from '../../tiles/index.js';
import { InMemorySlide } from '../../tiles/testing/in-memory-slide.js';
import type { SlideBackend } from '../slide-service.js';

export function inMemoryBackend(samplePath: string): SlideBackend {
  return {
    async openSlide(path) {
      if (path.includes('bad')) throw new SlideError('corrupt', `${path} is corrupt`);
      return InMemorySlide.create({ width: 600, height: 400, levelCount: 2, tileSize: 128 });
    },
    createTileService: (reader) => new DeepZoomTileService(reader),
    ensureSampleSlide: async () => samplePath,
  };
}
