// The slot the analysis features (annotations, probe training, heatmap overlays, export) plug into:
// an extension gets the OpenSeadragon viewer, the slide and an overlay element anchored to the whole
// slide (OSD scales and moves it with the image), and returns its cleanup. The viewer runs every
// registered extension for each slide it shows.
import type OpenSeadragon from 'openseadragon';
import type { SlideInfo } from '../../../main/contracts/tessera-api';

export interface ViewerContext {
  viewer: OpenSeadragon.Viewer;
  slide: SlideInfo;
  /** Covers the slide exactly (level-0 pixel x maps to x / width of this element's width). */
  overlay: HTMLElement;
}

export type ViewerExtension = (context: ViewerContext) => (() => void) | void;

const extensions = new Set<ViewerExtension>();

export function registerViewerExtension(extension: ViewerExtension): () => void {
  extensions.add(extension);
  return () => extensions.delete(extension);
}

/** Runs all extensions for one shown slide; the returned function cleans them all up. */
export function attachExtensions(context: ViewerContext): () => void {
  const cleanups: (() => void)[] = [];
  for (const extension of extensions) {
    try {
      const cleanup = extension(context);
      if (cleanup) cleanups.push(cleanup);
    } catch (err) {
      console.error('Viewer extension failed', err);
    }
  }
  return () => cleanups.forEach((c) => c());
}
