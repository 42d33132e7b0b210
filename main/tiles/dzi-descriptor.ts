// The .dzi XML a Deep Zoom viewer (OpenSeadragon) opens, as OpenSlide's DeepZoomGenerator.get_dzi() writes it.
export type TileFormat = 'jpeg' | 'png';

export function dziDescriptor(width: number, height: number, tileSize: number, overlap: number, format: TileFormat): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" TileSize="${tileSize}" Overlap="${overlap}" Format="${format}">` +
    `<Size Width="${width}" Height="${height}"/></Image>`
  );
}
