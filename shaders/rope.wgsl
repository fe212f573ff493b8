// rope.wgsl: rotary position embedding in place, "rotate half" pairing (j, j + head_dim/2) in every
// head, row r at absolute position pos0 + r:
//   x[j] <- x[j] cos - x[j+half] sin,  x[j+half] <- x[j+half] cos + x[j] sin.
// cos/sin come from a table computed once on the CPU (exactly as the CPU reference rounds them),
// so no GPU transcendental is involved. The engine turns Q and K in one dispatch: they sit side by
// side in a row of its Q | K | V cache, so they are 2 x n_heads heads of one view.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static): n_heads, head_dim, view of X
//   2 table: storage read vec2<f32>, (cos, sin) of (pos, j) at pos * (head_dim / 2) + j
//   3 X:     storage rw   f32, row r at x_base + (x_pos * pos0 + r) * x_stride
//
// Workgroup layout: 64 invocations, one (head, j) pair each; dispatch (ceil(n_heads * head_dim / 2 / 64), M, 1).

struct Params {
  n_heads: u32, head_dim: u32,
  x_base: u32, x_stride: u32, x_pos: u32,
  _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let half = p.head_dim / 2u;
  let pair = gid.x;
  let r = gid.y;
  if (pair >= p.n_heads * half || r >= blk.rows) { return; }
  let h = pair / half;
  let j = pair % half;
  let cs = table[(blk.pos0 + r) * half + j];
  let a = view_row(p.x_base, p.x_stride, p.x_pos, r) + h * p.head_dim + j;
  let x1 = X[a];
  let x2 = X[a + half];
  X[a] = x1 * cs.x - x2 * cs.y;
  X[a + half] = x2 * cs.x + x1 * cs.y;
}
