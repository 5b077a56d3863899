import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { testDevice } from '../helpers/webgpu.ts';
import { TRAINING_FEATURES, TRAINING_LIMITS } from '../../src/engine/gpu.ts';

describe('Node WebGPU device', () => {
  it('is acquired with the adapter\'s own limits', async () => {
    const { adapter, device, report } = await testDevice();
    for (const k of TRAINING_LIMITS) {
      expect(report.limits[k]).toBeGreaterThan(0);
      expect(device.limits[k]).toBe(adapter.limits[k]);
    }
    for (const f of TRAINING_FEATURES) expect(device.features.has(f)).toBe(report.features[f]);
  });

  it('runs a compute shader', async () => {
    const { device } = await testDevice();
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
             @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
               if (id.x < arrayLength(&x)) { x[id.x] = x[id.x] * 2.0 + 1.0; } }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const data = Float32Array.from({ length: 100 }, (_, i) => i);
    const buf = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buf, 0, data);
    const read = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
    pass.dispatchWorkgroups(2);
    pass.end();
    enc.copyBufferToBuffer(buf, 0, read, 0, data.byteLength);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    expect(Array.from(out)).toEqual(Array.from(data, (v) => v * 2 + 1));
  });

  it('`lantern device` prints the adapter as JSON', async () => {
    const { stdout } = await promisify(execFile)('node', [new URL('../../cli/lantern.mjs', import.meta.url).pathname, 'device']);
    const report = JSON.parse(stdout);
    expect(report.adapter.vendor).toBeTruthy();
    expect(Object.keys(report.limits)).toEqual(expect.arrayContaining([...TRAINING_LIMITS]));
    expect(Object.keys(report.features)).toEqual([...TRAINING_FEATURES]);
  });
});
