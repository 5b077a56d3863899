// Which backend an engine runs on: WebGPU on a hardware adapter, WASM where WebGPU has only a
// software one or none, and either when asked for.
import { describe, expect, it } from 'vitest';
import { chooseBackend, isSoftwareAdapter } from '../../src/engine/select.ts';
import type { AdapterReport } from '../../src/engine/gpu.ts';

function adapter(info: Partial<AdapterReport['adapter']>): AdapterReport {
  return {
    adapter: { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, ...info },
    limits: {} as AdapterReport['limits'],
    features: {} as AdapterReport['features'],
    allFeatures: [],
  };
}

// What Dawn reports here (Chromium and the webgpu package without a GPU), and two real GPUs.
const SWIFTSHADER = adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' });
const LLVMPIPE = adapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' });
const FALLBACK = adapter({ vendor: 'someone', isFallbackAdapter: true });
const NVIDIA = adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' });
const APPLE = adapter({ vendor: 'apple', architecture: 'metal-3' });

describe('chooseBackend', () => {
  it('recognises software adapters by flag or by name, and real GPUs as such', () => {
    for (const a of [SWIFTSHADER, LLVMPIPE, FALLBACK]) expect(isSoftwareAdapter(a)).toBe(true);
    for (const a of [NVIDIA, APPLE]) expect(isSoftwareAdapter(a)).toBe(false);
  });

  it("auto takes WebGPU on a hardware adapter and WASM on a software one or none, saying why", () => {
    expect(chooseBackend('auto', { report: NVIDIA })).toEqual({ kind: 'webgpu', reason: 'a hardware WebGPU adapter (nvidia · hopper · NVIDIA H200)' });
    const soft = chooseBackend('auto', { report: SWIFTSHADER });
    expect(soft.kind).toBe('wasm');
    expect(soft.reason).toMatch(/software fallback \(google · swiftshader · SwiftShader Device \(Subzero\)\): WASM SIMD/);
    const none = chooseBackend('auto', { error: new Error('WebGPU is not available here (navigator.gpu is missing). Use a recent Chromium') });
    expect(none).toEqual({ kind: 'wasm', reason: 'no WebGPU adapter (WebGPU is not available here (navigator.gpu is missing))' });
  });

  it('gives what is asked for: webgpu even on a software adapter, and its error without one; wasm whatever the GPU', () => {
    expect(chooseBackend('webgpu', { report: SWIFTSHADER }).kind).toBe('webgpu');
    expect(() => chooseBackend('webgpu', { error: new Error('no adapter') })).toThrow('no adapter');
    expect(chooseBackend('wasm', { report: NVIDIA }).kind).toBe('wasm');
    expect(chooseBackend('wasm', null).kind).toBe('wasm');
  });
});
