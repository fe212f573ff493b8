// matmul.wgsl: Y[r, n] = X[r, :] . W[n, :]  (Y = X W^T, W stored [N, K] row-major, PyTorch's [out, in]),
// or with `residual` set, Y[r, n] = Y[r, n] + X[r, :] . W[n, :] (read and written in place by the one
// invocation that owns the element; a separate residual buffer would need a second binding of Y).
//
// Bit-exact block-size invariance: every output element is one sequential chain
// acc = fma(X[r, k], W[n, k], acc) for k = 0, 1, .., K-1 from acc = 0, then (residual) Y + acc.
// Both entry points follow that chain, so a row's values do not depend on the block size M,
// on the entry point, or on the element's place in a tile.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, declared in prelude.wgsl): rows M, pos0 (absolute position of row 0)
//   1 uniform Params (static, per binding set): K, N, views of X, W, Y (see below), residual flag
//   2 X: storage read   vec4<f32>, row r at float x_base + (x_pos * pos0 + r) * x_stride
//   3 W: storage read   vec4<f32>, row n at float w_base + n * K
//   4 Y: storage rw     f32, row r at y_base + (y_pos * pos0 + r) * y_stride
//        (x_pos / y_pos = 1: the buffer is indexed by absolute position, e.g. a KV cache)
//   X and W are read four floats at a time, so K, x_base, x_stride and w_base are multiples of 4
//   (Kernels.matmul checks). The fma chain still takes k in order, one float at a time.
//
// Workgroup layout, two entry points:
//   rows:  64 invocations, one output column each, for a group of up to 4 rows (r0 = 4 * workgroup y);
//          dispatch (ceil(N / 64), ceil(M / 4), 1). For a decode block (M <= 4) that is one row group:
//          each weight is read from memory once per block and used for all M rows. Each invocation
//          streams its own W row (no workgroup memory, no barriers).
//   tiled: 16 x 16 invocations, a 64 x 64 output tile, 4 x 4 elements each (rows ly + 16 i, columns
//          lx + 16 j); dispatch (ceil(N / 64), ceil(M / 64), 1); K in chunks of 16 through workgroup
//          memory (2 x 64 x 17 floats), so each W element is read once per 64 rows.
//   On SwiftShader (a CPU) `rows` is about 3x faster than `tiled` even at M = 256 (workgroup memory
//   and barriers are expensive there); on a GPU `tiled` is the prefill kernel. Kernels.create picks.

struct Params {
  K: u32, N: u32,
  x_base: u32, x_stride: u32, x_pos: u32,
  w_base: u32,
  y_base: u32, y_stride: u32, y_pos: u32,
  residual: u32,
  _pad0: u32, _pad1: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;

fn x_row(r: u32) -> u32 { return view_row(p.x_base, p.x_stride, p.x_pos, r); }
fn y_row(r: u32) -> u32 { return view_row(p.y_base, p.y_stride, p.y_pos, r); }

fn store(r: u32, n: u32, acc: f32) {
  let i = y_row(r) + n;
  if (p.residual != 0u) {
    Y[i] = Y[i] + acc;
  } else {
    Y[i] = acc;
  }
}

// acc + x . w as four fmas in k order (not dot(), whose summation order is the compiler's).
fn dot4(x: vec4<f32>, w: vec4<f32>, acc: f32) -> f32 {
  return fma(x.w, w.w, fma(x.z, w.z, fma(x.y, w.y, fma(x.x, w.x, acc))));
}

// One float of X or W (the tiled variant loads single floats into workgroup memory).
fn x_at(i: u32) -> f32 { return X[i / 4u][i % 4u]; }
fn w_at(i: u32) -> f32 { return W[i / 4u][i % 4u]; }

// ---- rows: groups of up to 4 rows ----
@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let n = gid.x;
  let r0 = wg.y * 4u;
  if (n >= p.N || r0 >= blk.rows) { return; }
  let M = min(blk.rows - r0, 4u);
  // Everything in vec4 units: one 16-byte load brings four k of a row (measured on SwiftShader:
  // 5-35% faster than four f32 loads, its bounds-checked loads being the cost).
  let wr = (p.w_base + n * p.K) / 4u;
  let x0 = x_row(r0) / 4u;
  let x1 = x_row(r0 + min(1u, M - 1u)) / 4u;
  let x2 = x_row(r0 + min(2u, M - 1u)) / 4u;
  let x3 = x_row(r0 + min(3u, M - 1u)) / 4u;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  for (var k = 0u; k < p.K / 4u; k++) {
    let w = W[wr + k];
    a0 = dot4(X[x0 + k], w, a0);
    a1 = dot4(X[x1 + k], w, a1);
    a2 = dot4(X[x2 + k], w, a2);
    a3 = dot4(X[x3 + k], w, a3);
  }
  if (M > 0u) { store(r0, n, a0); }
  if (M > 1u) { store(r0 + 1u, n, a1); }
  if (M > 2u) { store(r0 + 2u, n, a2); }
  if (M > 3u) { store(r0 + 3u, n, a3); }
}

// ---- tiled: any M, through workgroup memory ----
const TT: u32 = 64u;      // tile rows and columns
const TK: u32 = 16u;      // K chunk
const TPAD: u32 = 17u;
var<workgroup> t_x: array<f32, 1088>;   // TT x TPAD
var<workgroup> t_w: array<f32, 1088>;

@compute @workgroup_size(16, 16)
fn tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
         @builtin(local_invocation_index) t: u32) {
  let r0 = wg.y * TT;
  let n0 = wg.x * TT;
  let M = blk.rows;
  var acc: array<f32, 16>;
  for (var i = 0u; i < 16u; i++) { acc[i] = 0.0; }
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    let kn = min(TK, p.K - k0);
    for (var i = t; i < TT * TK; i += 256u) {
      let row = i / TK;
      let col = i % TK;
      var xv = 0.0;
      if (r0 + row < M && col < kn) { xv = x_at(x_row(r0 + row) + k0 + col); }
      t_x[row * TPAD + col] = xv;
      var wv = 0.0;
      if (n0 + row < p.N && col < kn) { wv = w_at(p.w_base + (n0 + row) * p.K + k0 + col); }
      t_w[row * TPAD + col] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < kn; kk++) {
      var xs: array<f32, 4>;
      var ws: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        xs[i] = t_x[(lid.y + 16u * i) * TPAD + kk];
        ws[i] = t_w[(lid.x + 16u * i) * TPAD + kk];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(xs[i], ws[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + lid.y + 16u * i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x + 16u * j;
      if (r < M && n < p.N) { store(r, n, acc[i * 4u + j]); }
    }
  }
}
