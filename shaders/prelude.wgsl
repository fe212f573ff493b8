// What every kernel shares; src/gpu/shaders.ts puts it before each kernel's own source.
//
// Binding 0 of group 0, in every kernel: the row batch being run (the rows one dispatch takes), a
// 32-byte uniform bound at a dynamic offset into the per-step slots (src/gpu/dispatch.ts
// RowBatchSlots): `rows` rows; row r sits in slot pos0 + r of every positional view (its KV cache
// row, its stream row). The first `seq_rows` (sequence rows) are at position pos0 + r too; the
// others are draft-tree rows (src/gpu/tree-rows.ts), row r described by nodes[nodes + r - seq_rows].
// `top`: candidates a head writes per sequence row.
struct RowBatch { rows: u32, pos0: u32, seq_rows: u32, nodes: u32, top: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
@group(0) @binding(0) var<uniform> batch: RowBatch;

// A draft-tree row (binding 8, in the kernels a tree changes: mtp_input, qkv, attention, head,
// compact): its position `pos` (RoPE; it sees keys at positions 0 .. pos), its keys at positions
// prefix .. pos sitting in slots keys[0 ..] (its branch's rows; those before prefix are in slots of
// their own position), the token buffer's index of its input token and the previous model's
// stream slot it reads (mtp_input), and where its head writes its n_out best candidates (0: as a
// sequence row does).
struct Node { pos: u32, prefix: u32, tok: u32, src: u32, out: u32, n_out: u32, _pad0: u32, _pad1: u32, keys: vec4<u32> }
@group(0) @binding(8) var<storage, read> nodes: array<Node>;

fn is_tree_row(r: u32) -> bool { return r >= batch.seq_rows; }
fn node_of(r: u32) -> Node { return nodes[batch.nodes + r - batch.seq_rows]; }

// Row r's position: RoPE's, and the last key it sees.
fn row_pos(r: u32) -> u32 {
  if (is_tree_row(r)) { return node_of(r).pos; }
  return batch.pos0 + r;
}

// Element index of row r's start in a view (base, stride, positional: the three Params fields of
// an operand, src/gpu/params.ts): a positional view is indexed by absolute position (a KV cache,
// the token buffer), a row-indexed one by row in the batch.
fn view_row(base: u32, stride: u32, positional: u32, r: u32) -> u32 {
  return base + (positional * batch.pos0 + r) * stride;
}

// The lowest finite f32, where a maximum starts (a constant -inf is not valid WGSL).
const LOWEST_F32: f32 = -0x1.fffffep+127f;

// Invocations of a workgroup, in every kernel but sampling's.
const WG: u32 = 64u;
