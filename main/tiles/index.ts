// The tile service's public surface.
export { DeepZoomTileService, DEFAULT_JPEG_QUALITY, type DeepZoomTileServiceOptions, type TileServiceStats } from './deepzoom-tile-service.js';
export { DeepZoomGeometry, type DeepZoomTileInfo, type Rect, type Size } from './deepzoom-geometry.js';
export { dziDescriptor, type TileFormat } from './dzi-descriptor.js';
