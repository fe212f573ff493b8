// Each kernel's Params uniform is described once, in src/gpu/params.ts; this checks that every
// shader's `struct Params` says the same (names, order, types, pads), so that a field added on one
// side and not the other fails here instead of reading the wrong word on the GPU.
import { describe, expect, it } from 'vitest';
import { packParams, paramsLayout, PARAMS } from '../../src/gpu/params.ts';
import { kernelSources, shaders, type ShaderName } from '../../src/gpu/shaders.ts';
import { FUSED_GROUP_ROWS } from '../../src/gpu/dispatch.ts';
import rowsSource from '../../shaders/rows.wgsl?raw';

/** The fields of the WGSL `struct Params { ... }` in `source`, in order. */
function wgslParams(source: string): { name: string; type: string }[] {
  const body = /struct\s+Params\s*\{([^}]*)\}/.exec(source.replace(/\/\/[^\n]*/g, ''))?.[1];
  if (body === undefined) throw new Error('no struct Params');
  return body
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => {
      const [name, type] = f.split(':').map((x) => x.trim());
      return { name, type };
    });
}

describe('kernel Params: params.ts and the shaders agree', () => {
  it.each(Object.keys(kernelSources) as ShaderName[])('%s', (kernel) => {
    expect(wgslParams(kernelSources[kernel])).toEqual(paramsLayout(kernel).fields);
    expect(paramsLayout(kernel).bytes % 16).toBe(0);
  });

  it("no shader declares the prelude itself, nor rows.wgsl's bindings where it builds on it", () => {
    for (const [kernel, source] of Object.entries(kernelSources)) expect(source, kernel).not.toMatch(/struct\s+Block\b|@binding\(0\)/);
    for (const kernel of ['mtp_input', 'qkv', 'wo_ffn', 'head'] as const) {
      expect(kernelSources[kernel], kernel).not.toMatch(/@binding\([23]\)/);
      expect(shaders[kernel], kernel).toMatch(/@binding\(2\) var<storage, read_write> X/);
    }
  });

  it('would notice a field missing on one side', () => {
    const source = kernelSources.qkv.replace(/head_dim: u32,\s*/, '');
    expect(wgslParams(source)).not.toEqual(paramsLayout('qkv').fields);
  });
});

describe("the fused kernels' group of rows", () => {
  it('rows.wgsl GROUP is the FUSED_GROUP_ROWS the grids are sized by', () => {
    const group = /const GROUP: u32 = (\d+)u;/.exec(rowsSource)?.[1];
    expect(Number(group)).toBe(FUSED_GROUP_ROWS);
  });
});

describe('packParams', () => {
  it('writes u32 and f32 fields at their places, pads zero', () => {
    const values = {
      n: 7,
      inv_temp: 0.5,
      top_p: 0.9,
      x_base: 1,
      x_stride: 2,
      x_positional: 1,
      u_base: 3,
      u_stride: 1,
      u_positional: 0,
      p_base: 4,
      p_stride: 5,
      p_positional: 0,
      o_base: 6,
      o_stride: 1,
      o_positional: 1,
    };
    const data = packParams('sample', values);
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    expect(data.byteLength).toBe(64);
    expect(u[0]).toBe(7);
    expect(f[1]).toBe(0.5);
    expect(f[2]).toBeCloseTo(0.9, 7);
    expect([...u.slice(3)]).toEqual([1, 2, 1, 3, 1, 0, 4, 5, 0, 6, 1, 1, 0]);
  });

  it('refuses a missing or an unknown field, naming it', () => {
    const ffn = {
      d: 128,
      hidden: 384,
      eps: 1e-5,
      x_base: 0,
      x_stride: 128,
      x_positional: 1,
      o_base: 0,
      o_stride: 128,
      o_positional: 0,
      wo_base: 0,
      g_base: 16384,
      w13_base: 16512,
      w2_base: 114816,
    };
    expect(() => packParams('wo_ffn', { ...ffn, hidden: undefined as unknown as number })).toThrow('wo_ffn Params: no value for hidden');
    expect(() => packParams('wo_ffn', { ...ffn, heads: 4 })).toThrow('wo_ffn Params has no field heads');
    expect(Object.keys(PARAMS).sort()).toEqual(Object.keys(kernelSources).sort());
  });
});
