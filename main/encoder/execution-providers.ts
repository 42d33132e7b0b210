// Which onnxruntime execution providers to try, best first. CPU is always last: it is the fallback.
import ort from 'onnxruntime-node';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';

const preference: ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/**
 * Providers this onnxruntime build can try, in order of preference. `TESSERA_EP` (e.g. "cpu" or "webgpu,cpu")
 * or `requested` overrides the order; cpu is appended when missing.
 */
export function candidateProviders(requested?: readonly ProviderName[]): ProviderName[] {
  const env = process.env.TESSERA_EP?.split(',').map((s) => s.trim()).filter(Boolean) as ProviderName[] | undefined;
  const wanted = requested ?? env;
  const supported = new Set(ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name));
  supported.add('cpu');
  const order = (wanted && wanted.length ? wanted : preference).filter((p) => supported.has(p));
  if (!order.includes('cpu')) order.push('cpu');
  return order;
}
