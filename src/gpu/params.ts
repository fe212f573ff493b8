// Each kernel's static `Params` uniform (binding 1), described once: its fields in order, u32
// unless marked f32, then zero pads up to a multiple of 16 bytes. The uniform's size, the packing
// of a kernel use's values by field name, and the check that every shader's `struct Params` says
// the same (tests/unit/params.test.ts) all come from this table. A view of an operand contributes
// three fields, <name>_base, <name>_stride, <name>_positional (see kernels.ts's header on views).
import type { ShaderName } from './shaders.ts';

type Field = string | { f32: string };

const view = (name: string): Field[] => [`${name}_base`, `${name}_stride`, `${name}_positional`];

export const PARAMS: Record<ShaderName, readonly Field[]> = {
  embedding: ['d', 'vocab', 'table_base', ...view('tok'), ...view('o')],
  mtp_input: ['d', 'vocab', { f32: 'eps' }, ...view('x'), ...view('tok'), 'e_base', 'gh_base', 'ge_base', 'w_base', ...view('y')],
  qkv: ['d', 'n_heads', 'head_dim', { f32: 'eps' }, ...view('x'), 'g_base', 'w_base', ...view('c')],
  attention: ['n_heads', { f32: 'scale' }, 'c_stride', 'q_base', 'k_base', 'v_base', ...view('o')],
  wo_ffn: ['d', 'hidden', { f32: 'eps' }, ...view('x'), ...view('o'), 'wo_base', 'g_base', 'w13_base', 'w2_base'],
  head: ['d', 'n', 'cols', 'mapped', { f32: 'eps' }, ...view('x'), 'g_base', 'e_base', ...view('l'), ...view('o')],
  compact: ['layers', 'c_layer', 'c_width', 'd'],
  sample: ['n', { f32: 'inv_temp' }, { f32: 'top_p' }, ...view('x'), ...view('u'), ...view('p'), ...view('o')],
};

export interface ParamsLayout {
  /** Field names in order, pads included (`_pad0`, ...), with their WGSL types. */
  fields: { name: string; type: 'u32' | 'f32' }[];
  bytes: number;
}

/** The full layout of a kernel's Params: its fields, then pads to 16 bytes. */
export function paramsLayout(kernel: ShaderName): ParamsLayout {
  const fields = PARAMS[kernel].map((f) =>
    typeof f === 'string' ? { name: f, type: 'u32' as const } : { name: f.f32, type: 'f32' as const },
  );
  for (let pad = 0; fields.length % 4 !== 0; pad++) fields.push({ name: `_pad${pad}`, type: 'u32' });
  return { fields, bytes: fields.length * 4 };
}

/** The words of a view, by field name: base and stride in 32-bit elements (stride defaults to `width`), positional 0 or 1. */
export function viewFields(
  name: string,
  v: { base?: number; stride?: number; positional?: boolean },
  width: number,
): Record<string, number> {
  const base = v.base ?? 0;
  const stride = v.stride ?? width;
  for (const [what, n] of [
    ['base', base],
    ['stride', stride],
  ] as const)
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name}.${what} must be an integer >= 0, got ${n}`);
  return { [`${name}_base`]: base, [`${name}_stride`]: stride, [`${name}_positional`]: v.positional ? 1 : 0 };
}

/** Packs a kernel use's values (every field of its Params by name, pads left out) into the uniform's bytes. */
export function packParams(kernel: ShaderName, values: Record<string, number>): ArrayBuffer {
  const { fields, bytes } = paramsLayout(kernel);
  const data = new ArrayBuffer(bytes);
  const u = new Uint32Array(data);
  const f = new Float32Array(data);
  const named = fields.filter((x) => !x.name.startsWith('_pad'));
  for (const key of Object.keys(values)) if (!named.some((x) => x.name === key)) throw new Error(`${kernel} Params has no field ${key}`);
  fields.forEach((field, i) => {
    if (field.name.startsWith('_pad')) return;
    const v = values[field.name];
    if (v === undefined) throw new Error(`${kernel} Params: no value for ${field.name}`);
    if (field.type === 'f32') f[i] = v;
    else u[i] = v;
  });
  return data;
}
