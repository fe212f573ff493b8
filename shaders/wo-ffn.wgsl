// wo-ffn.wgsl: the rest of a transformer block after attention, for a row batch, in one
// dispatch: the output projection and its residual add, then the SwiGLU feed-forward part and its:
//   x' = x + o Wo^T,   a = x' / sqrt(mean(x'^2) + eps) * g,   x = x' + (silu(a W1^T) * (a W3^T)) W2^T
// with silu(z) = z / (1 + exp(-z)); o is the attention's output (attention.wgsl).
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, prelude.wgsl): rows M, pos0
//   1 uniform Params (static): d, hidden, eps, views of X and O, wo_base, g_base, w13_base, w2_base
//   2 X: the residual stream (rows.wgsl), row r at x_base + (x_positional * pos0 + r) * x_stride: read,
//        then written once (only this workgroup touches its rows)
//   3 W: the weights buffer (rows.wgsl), matrices transposed: Wo as [d, d] at float wo_base, g at
//        g_base, [W1; W3] as one [d, 2 hidden] at w13_base (W1's outputs in columns 0 .. hidden - 1),
//        W2 as [hidden, d] at w2_base
//   4 O: storage read f32, row r at o_base + (o_positional * pos0 + r) * o_stride (the attention output)
//
// Workgroup layout: one workgroup of 64 per group of up to 4 rows (rows.wgsl GROUP); dispatch
// (ceil(M / 4), 1, 1). W2 needs every hidden unit of its row and WebGPU has no barrier across
// workgroups (nor float atomics to add partial products), so the FFN of a row is one workgroup's;
// the projection before it then costs no dispatch of its own. Lane t owns the stream's columns
// 4t .. 4t + 3 of every row of the group (d <= 256: at most one vec4 a lane) and keeps x' there, in
// registers, from the projection to the last residual add.
//  1. Stage o; barrier; lane t: x' = x + o Wo^T for its columns; barrier; x' into xs, normalised.
//  2. Lane t: act of hidden units 4c .. 4c + 3, c = t, t + 64, .. (gate and up: one fma chain each
//     over k), into workgroup memory; barrier.
//  3. Lane t: x = x' + act W2^T for its columns (one fma chain over the hidden units).
// Limits: d <= 256, hidden <= 512, both multiples of 4; weight offsets multiples of 4 (Kernels.woFfn checks).

struct Params {
  d: u32, hidden: u32, eps: f32,
  x_base: u32, x_stride: u32, x_positional: u32,
  o_base: u32, o_stride: u32, o_positional: u32,
  wo_base: u32, g_base: u32, w13_base: u32, w2_base: u32,
  _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> O: array<f32>;

// The group's act rows: hidden units 0 .. 255 in act_lo, 256 .. 511 in act_hi, so that W2's
// product is rows.wgsl's over two halves (the chain goes on from the first into the second).
var<workgroup> act_lo: Rows;
var<workgroup> act_hi: Rows;

// Hidden units 4c .. 4c + 3 of row r of the group.
fn put_act(r: u32, c: u32, v: vec4<f32>) {
  if (c < MAX_D4) { act_lo[r * MAX_D4 + c] = v; } else { act_hi[r * MAX_D4 + c - MAX_D4] = v; }
}

fn silu_mul(g: vec4<f32>, u: vec4<f32>) -> vec4<f32> { return g / (1.0 + exp(-g)) * u; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r0 = wg.x * GROUP;
  let m = min(batch.rows - r0, GROUP);
  let d4 = p.d / 4u;
  let h4 = p.hidden / 4u;
  let mine = t < d4;
  let x0 = view_row(p.x_base, p.x_stride, p.x_positional, r0) + 4u * t; // this lane's columns of row 0
  let xs1 = p.x_stride;

  if (mine) {
    for (var j = 0u; j < m; j++) {
      let e = view_row(p.o_base, p.o_stride, p.o_positional, r0 + j) + 4u * t;
      xs[j * MAX_D4 + t] = vec4<f32>(O[e], O[e + 1u], O[e + 2u], O[e + 3u]);
    }
  }
  workgroupBarrier();
  var h = mat4x4<f32>(); // x' of this lane's columns, row j in column j
  if (mine) {
    h = products(&xs, m, d4, p.wo_base / 4u + t, d4, mat4x4<f32>());
    h[0] = load_x4(x0) + h[0];
    if (m > 1u) { h[1] = load_x4(x0 + xs1) + h[1]; }
    if (m > 2u) { h[2] = load_x4(x0 + 2u * xs1) + h[2]; }
    if (m > 3u) { h[3] = load_x4(x0 + 3u * xs1) + h[3]; }
  }
  workgroupBarrier();
  if (mine) {
    xs[t] = h[0];
    xs[MAX_D4 + t] = h[1];
    xs[2u * MAX_D4 + t] = h[2];
    xs[3u * MAX_D4 + t] = h[3];
  }
  normalise(&xs, t, m, d4, p.eps, p.g_base);

  for (var c = t; c < h4; c += WG) {
    let g = products(&xs, m, d4, p.w13_base / 4u + c, 2u * h4, mat4x4<f32>());
    let u = products(&xs, m, d4, p.w13_base / 4u + h4 + c, 2u * h4, mat4x4<f32>());
    put_act(0u, c, silu_mul(g[0], u[0]));
    put_act(1u, c, silu_mul(g[1], u[1]));
    put_act(2u, c, silu_mul(g[2], u[2]));
    put_act(3u, c, silu_mul(g[3], u[3]));
  }
  workgroupBarrier();

  if (!mine) { return; }
  let w2 = p.w2_base / 4u + t;
  var acc = products(&act_lo, m, min(h4, MAX_D4), w2, d4, mat4x4<f32>());
  if (h4 > MAX_D4) { acc = products(&act_hi, m, h4 - MAX_D4, w2 + MAX_D4 * 4u * d4, d4, acc); }
  store_x4(x0, h[0] + acc[0]);
  if (m > 1u) { store_x4(x0 + xs1, h[1] + acc[1]); }
  if (m > 2u) { store_x4(x0 + 2u * xs1, h[2] + acc[2]); }
  if (m > 3u) { store_x4(x0 + 3u * xs1, h[3] + acc[3]); }
}
