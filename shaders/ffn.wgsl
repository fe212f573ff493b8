// ffn.wgsl: SwiGLU's gate, out[r, i] = silu(gate[r, i]) * up[r, i], silu(g) = g / (1 + exp(-g)).
// gate and up may be two views of one buffer (e.g. the output of one matmul with [W1; W3] stacked:
// up_base = hidden, strides 2 * hidden); out must be another buffer.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static): n (width), views of gate, up, out
//   2 gate: storage read f32, row r at g_base + (g_pos * pos0 + r) * g_stride
//   3 up:   storage read f32, row r at u_base + (u_pos * pos0 + r) * u_stride
//   4 out:  storage rw   f32, row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: 64 invocations, one element each; dispatch (ceil(n / 64), M, 1).

struct Params {
  n: u32,
  g_base: u32, g_stride: u32, g_pos: u32,
  u_base: u32, u_stride: u32, u_pos: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
  _pad0: u32, _pad1: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let r = gid.y;
  if (i >= p.n || r >= blk.rows) { return; }
  let g = G[view_row(p.g_base, p.g_stride, p.g_pos, r) + i];
  let u = U[view_row(p.u_base, p.u_stride, p.u_pos, r) + i];
  O[view_row(p.o_base, p.o_stride, p.o_pos, r) + i] = g / (1.0 + exp(-g)) * u;
}
