// embedding.wgsl: gathers embedding rows for token ids held in a GPU buffer (written by the CPU, or
// on the GPU by an earlier argmax): out[r, :] = table[tokens[r], :]. Ids >= vocab are clamped to
// vocab - 1 (no out-of-bounds read; the engine never produces them).
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static): d, vocab, table_base, token view, out view
//   2 table:  storage read f32, row v at table_base + v * d
//   3 tokens: storage read u32, id of row r at tok_base + (tok_positional * pos0 + r) * tok_stride
//   4 out:    storage rw   f32, row r at o_base + (o_positional * pos0 + r) * o_stride
//
// Workgroup layout: 64 invocations, one element each; dispatch (ceil(d / 64), M, 1).

struct Params {
  d: u32, vocab: u32, table_base: u32,
  tok_base: u32, tok_stride: u32, tok_positional: u32,
  o_base: u32, o_stride: u32, o_positional: u32,
  _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> tokens: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let r = gid.y;
  if (i >= p.d || r >= batch.rows) { return; }
  let token = min(tokens[view_row(p.tok_base, p.tok_stride, p.tok_positional, r)], p.vocab - 1u);
  O[view_row(p.o_base, p.o_stride, p.o_positional, r) + i] = table[p.table_base + token * p.d + i];
}
