// One DICOM frame's bytes to RGBA: JPEG (libjpeg via sharp), JPEG 2000 (OpenJPEG worker pool), or native
// 8-bit grey/RGB samples (planar or interleaved, MONOCHROME1 inverted); cut to the frame size.
import { completeTiffJpeg, decodeJpeg } from '../codecs/jpeg.js';
import { decodeJp2k } from '../codecs/jp2k.js';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import { TransferSyntax } from './dicom-dataset.js';
import { SlideError } from '../slide-errors.js';
import { isJpeg, type Instance } from './wsi-instance.js';
import { WsiTag } from './wsi-tags.js';

export async function decodeFrame(inst: Instance, bytes: Buffer): Promise<RgbaImage> {
  const tw = inst.tileWidth;
  const th = inst.tileHeight;
  let image: RgbaImage;
  const ts = inst.header.transferSyntax;
  if (isJpeg(inst)) {
    // Frames carry their own colour markers (JFIF: YCbCr); RGB without a marker gets the Adobe one.
    image = await decodeJpeg(completeTiffJpeg(undefined, bytes, inst.photometric === 'RGB'), tw * th);
  } else if (ts === TransferSyntax.Jpeg2000 || ts === TransferSyntax.Jpeg2000Lossless) {
    // YBR_ICT/YBR_RCT are undone by the codestream's own transform; YBR_FULL means no transform was applied.
    image = await decodeJp2k(bytes, inst.photometric.startsWith('YBR_FULL'), tw, th);
  } else {
    image = decodeNative(inst, bytes);
  }
  if (image.width < tw || image.height < th) {
    throw new SlideError('corrupt', `${inst.source.path}: a frame decoded to ${image.width}×${image.height} where ${tw}×${th} was expected`);
  }
  if (image.width === tw && image.height === th) return image;
  const out = Buffer.allocUnsafe(tw * th * 4);
  for (let y = 0; y < th; y++) image.data.copy(out, y * tw * 4, y * image.width * 4, (y * image.width + tw) * 4);
  return { data: out, width: tw, height: th, channels: 4 };
}

function decodeNative(inst: Instance, bytes: Buffer): RgbaImage {
  const spp = inst.samplesPerPixel;
  const n = inst.tileWidth * inst.tileHeight;
  let data = bytes;
  if (inst.photometric.startsWith('YBR') || inst.photometric.startsWith('PALETTE')) {
    throw new SlideError('unsupported-feature', `${inst.source.path}: uncompressed ${inst.photometric} frames are not supported`);
  }
  if (spp === 3 && (inst.ds.number(WsiTag.PlanarConfiguration) ?? 0) === 1) {
    data = Buffer.allocUnsafe(n * 3);
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = bytes[c * n + i];
  } else if (inst.photometric === 'MONOCHROME1') {
    data = Buffer.from(bytes);
    for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
  }
  return toRgba(data, inst.tileWidth, inst.tileHeight, spp);
}
