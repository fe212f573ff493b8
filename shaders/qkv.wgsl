// qkv.wgsl: a transformer block's attention input, for a row batch, in one dispatch: the
// attention RMSNorm, the one product with the stacked [Wq; Wk; Wv], RoPE on Q and K, and the write
// into the block's Q | K | V cache at the rows' slots (pos0 + r; the position is pos0 + r too, or a
// tree row's own, prelude.wgsl row_pos):
//   a = x / sqrt(mean(x^2) + eps) * g,   [q | k | v] = a W^T   (W = [Wq; Wk; Wv], [3d, d]),
//   q[j], q[j + hd/2] <- q[j] cos - q[j + hd/2] sin, q[j + hd/2] cos + q[j] sin   (every head; k too),
//   cache[pos] = [q | k | v].
// cos/sin of (pos, j) come from a table computed once on the CPU (ops.ropeCosSin), so no GPU
// transcendental is involved and the rotation rounds as the CPU reference's does.
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, prelude.wgsl): rows M, pos0, tree rows
//   1 uniform Params (static): d, n_heads, head_dim, eps, view of X, g_base, w_base, view of C
//   2 X:     the residual stream (rows.wgsl), row r at x_base + (x_positional * pos0 + r) * x_stride
//   3 W:     the weights buffer (rows.wgsl): g at float g_base, W transposed ([d, 3d]) at w_base
//   4 table: storage read vec2<f32>, (cos, sin) of (pos, j) at pos * (head_dim / 2) + j
//   5 C:     storage rw   f32, row r at c_base + (c_positional * pos0 + r) * c_stride (the Q | K | V cache)
//   8 nodes: storage read Node, the tree rows' positions (prelude.wgsl)
//
// Workgroup layout: 64 invocations, each eight output columns of a group of up to 4 rows (rows.wgsl
// GROUP): the first d/8 units take four of Q's rotation pairs (j, j + hd/2) of a head, j = 4c ..
// 4c + 3, the next d/8 the same of K, the last d/8 eight columns of V. A rotation pair is one
// invocation's, so RoPE needs no exchange between lanes. Dispatch (ceil(3d / 8 / 64), ceil(M / 4),
// 1): one workgroup at d = 128 (on SwiftShader a second workgroup was no faster). Every
// workgroup normalises its group's rows itself (d floats a row: cheaper than a dispatch).
// Limits: d <= 256; d and every weight offset multiples of 4 (vec4 loads); head_dim a multiple of 8 (Kernels.qkv checks).

struct Params {
  d: u32, n_heads: u32, head_dim: u32, eps: f32,
  x_base: u32, x_stride: u32, x_positional: u32,
  g_base: u32, w_base: u32,
  c_base: u32, c_stride: u32, c_positional: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;

// Row r's eight columns into the cache: lo .. lo + 3 and hi .. hi + 3, turned by RoPE when `rotated`
// (j0 = lo's pair index within its head, so cos/sin of (pos, j0 + i) sit at table[pos * half + j0 + i]).
fn put(r: u32, lo: u32, hi: u32, a: vec4<f32>, b: vec4<f32>, rotated: bool, half: u32, j0: u32) {
  let row = view_row(p.c_base, p.c_stride, p.c_positional, r);
  var x = a;
  var y = b;
  if (rotated) {
    let at = row_pos(r) * half + j0;
    let c0 = table[at];
    let c1 = table[at + 1u];
    let c2 = table[at + 2u];
    let c3 = table[at + 3u];
    let cs = vec4<f32>(c0.x, c1.x, c2.x, c3.x);
    let sn = vec4<f32>(c0.y, c1.y, c2.y, c3.y);
    x = a * cs - b * sn;
    y = b * cs + a * sn;
  }
  C[row + lo] = x.x;
  C[row + lo + 1u] = x.y;
  C[row + lo + 2u] = x.z;
  C[row + lo + 3u] = x.w;
  C[row + hi] = y.x;
  C[row + hi + 1u] = y.y;
  C[row + hi + 2u] = y.z;
  C[row + hi + 3u] = y.w;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r0 = wg.y * GROUP;
  let m = min(batch.rows - r0, GROUP);
  let d4 = p.d / 4u;
  stage_stream(t, r0, m, d4, p.x_base, p.x_stride, p.x_positional);
  normalise(&xs, t, m, d4, p.eps, p.g_base);

  // Unit u: Q's (or K's) columns lo = 4c .. 4c + 3 of a head's first half and their partners
  // hi = lo + hd/2, or 8 columns of V.
  let u = wg.x * WG + t;
  if (u >= 3u * p.d / 8u) { return; }
  let half = p.head_dim / 2u;
  let rotated = u < p.d / 4u;
  var lo = 2u * p.d + 8u * (u - p.d / 4u);
  var hi = lo + 4u;
  if (rotated) {
    let within = u % (p.d / 8u);
    lo = (u / (p.d / 8u)) * p.d + (within / (half / 4u)) * p.head_dim + 4u * (within % (half / 4u));
    hi = lo + half;
  }
  let n4 = 3u * p.d / 4u;
  let a = products(&xs, m, d4, p.w_base / 4u + lo / 4u, n4, mat4x4<f32>());
  let b = products(&xs, m, d4, p.w_base / 4u + hi / 4u, n4, mat4x4<f32>());
  let j0 = lo % p.head_dim;
  put(r0, lo, hi, a[0], b[0], rotated, half, j0);
  if (m > 1u) { put(r0 + 1u, lo, hi, a[1], b[1], rotated, half, j0); }
  if (m > 2u) { put(r0 + 2u, lo, hi, a[2], b[2], rotated, half, j0); }
  if (m > 3u) { put(r0 + 3u, lo, hi, a[3], b[3], rotated, half, j0); }
}
