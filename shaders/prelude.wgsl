// What every kernel shares; src/gpu/shaders.ts puts it before each kernel's own source.
//
// Binding 0 of group 0, in every kernel: the block of rows being run, a 16-byte uniform bound at a
// dynamic offset into the per-step slots (src/gpu/dispatch.ts BlockParams): `rows` rows, the first
// at absolute position `pos0`.
struct Block { rows: u32, pos0: u32, _pad0: u32, _pad1: u32 }
@group(0) @binding(0) var<uniform> blk: Block;

// Element index of row r's start in a view (base, stride, positional: the three Params fields of
// an operand, src/gpu/params.ts): a positional view is indexed by absolute position (a KV cache,
// the token buffer), a plain one by row in the block.
fn view_row(base: u32, stride: u32, positional: u32, r: u32) -> u32 {
  return base + (positional * blk.pos0 + r) * stride;
}

// The lowest finite f32, where a maximum starts (a constant -inf is not valid WGSL).
const LOWEST_F32: f32 = -0x1.fffffep+127f;

// Invocations of a workgroup, in every kernel but sampling's.
const WG: u32 = 64u;
