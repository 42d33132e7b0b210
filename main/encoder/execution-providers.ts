// Which onnxruntime execution providers to try, best first. CPU is always last: it is the fallback.
import { existsSync, readdirSync, statSync } from 'node:fs';
import ort from 'onnxruntime-node';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';

const preference: ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/** What decides whether WebGPU is worth probing on this machine. */
export interface WebGpuHost {
  platform: NodeJS.Platform;
  /** A GPU render node (/dev/dri/renderD*) exists. */
  hasRenderNode: boolean;
  /** $XDG_RUNTIME_DIR names an existing folder. */
  hasRuntimeDir: boolean;
}

function thisHost(): WebGpuHost {
  const hasRenderNode = existsSync('/dev/dri') && (() => {
    try {
      return readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
    } catch {
      return false;
    }
  })();
  const dir = process.env.XDG_RUNTIME_DIR;
  let hasRuntimeDir: boolean;
  try {
    hasRuntimeDir = !!dir && statSync(dir).isDirectory();
  } catch {
    hasRuntimeDir = false;
  }
  return { platform: process.platform, hasRenderNode, hasRuntimeDir };
}

/**
 * Whether to probe WebGPU by default. On Linux without a GPU render node or a runtime folder (headless
 * servers, CI) Dawn's Vulkan probe only prints "XDG_RUNTIME_DIR is invalid" and Vulkan errors to the
 * terminal from native code and fails; skip it there (TESSERA_EP=webgpu still asks for it).
 */
export function probeWebGpuByDefault(host: WebGpuHost = thisHost()): boolean {
  if (host.platform !== 'linux') return true;
  return host.hasRenderNode && host.hasRuntimeDir;
}

/**
 * Providers this onnxruntime build can try, in order of preference. `TESSERA_EP` (e.g. "cpu" or "webgpu,cpu")
 * or `requested` overrides the order; cpu is appended when missing.
 */
export function candidateProviders(requested?: readonly ProviderName[], host?: WebGpuHost): ProviderName[] {
  const env = process.env.TESSERA_EP?.split(',').map((s) => s.trim()).filter(Boolean) as ProviderName[] | undefined;
  const wanted = requested ?? env;
  const supported = new Set(ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name));
  supported.add('cpu');
  const defaults = probeWebGpuByDefault(host) ? preference : preference.filter((p) => p !== 'webgpu');
  const order = (wanted && wanted.length ? wanted : defaults).filter((p) => supported.has(p));
  if (!order.includes('cpu')) order.push('cpu');
  return order;
}
