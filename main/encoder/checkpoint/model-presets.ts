// What Tessera knows about the pathology foundation models researchers download as timm checkpoints: the
// normalisation, embedding rule and magnifications their authors use, their licence and whether the hub
// gates them. A preset is chosen by id (`--preset`), or proposed when a checkpoint's shape matches exactly
// one. Licences are as their model cards state them; the user must still accept them on the hub.
import type { EmbeddingRule, VitSpec } from './vit-spec.js';

export interface ModelPreset {
  id: string;
  name: string;
  /** Where it is downloaded from (the model card states its terms). */
  hub: string;
  licence: string;
  gated: boolean;
  nonCommercial: boolean;
  embeddingRule: EmbeddingRule;
  mean: [number, number, number];
  std: [number, number, number];
  /** µm/px the model was trained at. */
  magnifications: number[];
  /** The shape that identifies it. */
  signature: { embedDim: number; depth: number; patchSize: number; regTokens: number; mlp: VitSpec['mlp']['kind']; layerScale: boolean };
  notes?: string;
}

const imagenet = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };
const bioptimus = { mean: [0.707223, 0.578729, 0.703617] as [number, number, number], std: [0.211883, 0.230117, 0.177517] as [number, number, number] };

export const modelPresets: readonly ModelPreset[] = [
  {
    id: 'uni',
    name: 'UNI (Mahmood Lab)',
    hub: 'MahmoodLab/UNI',
    licence: 'CC-BY-NC-ND-4.0',
    gated: true,
    nonCommercial: true,
    embeddingRule: 'token',
    ...imagenet,
    magnifications: [0.5],
    signature: { embedDim: 1024, depth: 24, patchSize: 16, regTokens: 0, mlp: 'mlp', layerScale: true },
  },
  {
    id: 'uni2-h',
    name: 'UNI2-h (Mahmood Lab)',
    hub: 'MahmoodLab/UNI2-h',
    licence: 'CC-BY-NC-ND-4.0',
    gated: true,
    nonCommercial: true,
    embeddingRule: 'token',
    ...imagenet,
    magnifications: [0.5],
    signature: { embedDim: 1536, depth: 24, patchSize: 14, regTokens: 8, mlp: 'glu-packed', layerScale: true },
  },
  {
    id: 'virchow',
    name: 'Virchow (Paige)',
    hub: 'paige-ai/Virchow',
    licence: 'Apache-2.0 (gated: accept Paige’s terms on the model card)',
    gated: true,
    nonCommercial: false,
    embeddingRule: 'token+mean',
    ...imagenet,
    magnifications: [0.5],
    signature: { embedDim: 1280, depth: 32, patchSize: 14, regTokens: 0, mlp: 'glu-packed', layerScale: true },
    notes: 'embedding = class token ++ mean of patch tokens (2560-d), as the model card does',
  },
  {
    id: 'virchow2',
    name: 'Virchow2 (Paige)',
    hub: 'paige-ai/Virchow2',
    licence: 'CC-BY-NC-ND-4.0',
    gated: true,
    nonCommercial: true,
    embeddingRule: 'token+mean',
    ...imagenet,
    magnifications: [0.5],
    signature: { embedDim: 1280, depth: 32, patchSize: 14, regTokens: 4, mlp: 'glu-packed', layerScale: true },
    notes: 'embedding = class token ++ mean of patch tokens, registers excluded (2560-d), as the model card does',
  },
  {
    id: 'h-optimus-0',
    name: 'H-optimus-0 (Bioptimus)',
    hub: 'bioptimus/H-optimus-0',
    licence: 'Apache-2.0',
    gated: false,
    nonCommercial: false,
    embeddingRule: 'token',
    ...bioptimus,
    magnifications: [0.5],
    signature: { embedDim: 1536, depth: 40, patchSize: 14, regTokens: 4, mlp: 'glu-packed', layerScale: true },
  },
  {
    id: 'h-optimus-1',
    name: 'H-optimus-1 (Bioptimus)',
    hub: 'bioptimus/H-optimus-1',
    licence: 'Bioptimus non-commercial licence (see the model card)',
    gated: true,
    nonCommercial: true,
    embeddingRule: 'token',
    ...bioptimus,
    magnifications: [0.5],
    signature: { embedDim: 1536, depth: 40, patchSize: 14, regTokens: 4, mlp: 'glu-packed', layerScale: true },
  },
  {
    id: 'prov-gigapath',
    name: 'Prov-GigaPath tile encoder (Providence / Microsoft)',
    hub: 'prov-gigapath/prov-gigapath',
    licence: 'Apache-2.0 (gated: research use per the model card)',
    gated: true,
    nonCommercial: false,
    embeddingRule: 'token',
    ...imagenet,
    magnifications: [0.5],
    signature: { embedDim: 1536, depth: 40, patchSize: 14, regTokens: 0, mlp: 'mlp', layerScale: true },
  },
  {
    id: 'kaiko-vits16',
    name: 'kaiko.ai ViT-S/16 (towards large pathology FMs)',
    hub: '1aurent/vit_small_patch16_224.kaiko_ai_towards_large_pathology_fms',
    licence: 'kaiko.ai model licence (see the model card)',
    gated: false,
    nonCommercial: true,
    embeddingRule: 'token',
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    magnifications: [0.25, 0.5, 1, 2],
    signature: { embedDim: 384, depth: 12, patchSize: 16, regTokens: 0, mlp: 'mlp', layerScale: false },
  },
  {
    id: 'kaiko-vitb16',
    name: 'kaiko.ai ViT-B/16 (towards large pathology FMs)',
    hub: '1aurent/vit_base_patch16_224.kaiko_ai_towards_large_pathology_fms',
    licence: 'kaiko.ai model licence (see the model card)',
    gated: false,
    nonCommercial: true,
    embeddingRule: 'token',
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    magnifications: [0.25, 0.5, 1, 2],
    signature: { embedDim: 768, depth: 12, patchSize: 16, regTokens: 0, mlp: 'mlp', layerScale: false },
  },
  {
    id: 'kaiko-vitl14',
    name: 'kaiko.ai ViT-L/14 (towards large pathology FMs)',
    hub: '1aurent/vit_large_patch14_reg4_224.kaiko_ai_towards_large_pathology_fms',
    licence: 'kaiko.ai model licence (see the model card)',
    gated: false,
    nonCommercial: true,
    embeddingRule: 'token',
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    magnifications: [0.25, 0.5, 1, 2],
    signature: { embedDim: 1024, depth: 24, patchSize: 14, regTokens: 4, mlp: 'mlp', layerScale: true },
  },
  {
    id: 'lunit-dino-vits16',
    name: 'Lunit DINO ViT-S/16',
    hub: '1aurent/vit_small_patch16_224.lunit_dino',
    licence: 'Lunit non-commercial licence (see the model card)',
    gated: false,
    nonCommercial: true,
    embeddingRule: 'token',
    mean: [0.70322989, 0.53606487, 0.66096631],
    std: [0.21716536, 0.26081574, 0.20723464],
    magnifications: [0.5, 0.25],
    signature: { embedDim: 384, depth: 12, patchSize: 16, regTokens: 0, mlp: 'mlp', layerScale: false },
  },
];

export function findPreset(id: string): ModelPreset {
  const p = modelPresets.find((m) => m.id === id.toLowerCase());
  if (!p) throw new Error(`unknown preset "${id}"; known: ${modelPresets.map((m) => m.id).join(', ')}`);
  return p;
}

/** The presets whose shape the checkpoint has (several models share one architecture). */
export function matchingPresets(spec: VitSpec): ModelPreset[] {
  return modelPresets.filter((p) => {
    const s = p.signature;
    return (
      s.embedDim === spec.embedDim &&
      s.depth === spec.depth &&
      s.patchSize === spec.patchSize &&
      s.regTokens === spec.regTokens &&
      s.mlp === spec.mlp.kind &&
      s.layerScale === spec.layerScale
    );
  });
}
