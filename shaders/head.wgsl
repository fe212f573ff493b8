// head.wgsl: a model's output for a block of rows, in one dispatch: the final RMSNorm, the logits
// against the tied embedding table, and their argmax:
//   a = x / sqrt(mean(x^2) + eps) * g,   logits[r, n] = a . E[n],   id[r] = argmax_n logits[r, n]
// Ties go to the lowest index, as ops.argmax; NaNs are skipped (an all-NaN row gives 0). The ids
// are written at a view of a u32 buffer, so a module's draft lands straight in the token buffer the
// next gather reads; the logits stay for the sampling kernel and the readback.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, prelude.wgsl): rows M, pos0
//   1 uniform Params (static): d, n (vocabulary), eps, view of X, g_base, e_base, views of L and ids
//   2 X:   the residual stream (rows.wgsl), row r at x_base + (x_pos * pos0 + r) * x_stride
//   3 W:   the weights buffer (rows.wgsl): g at float g_base, E transposed ([d, n]) at e_base
//   4 L:   storage rw   f32, logits of row r at l_base + (l_pos * pos0 + r) * l_stride
//   5 ids: storage rw   u32, id of row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: one workgroup of 64 per group of up to 4 rows (rows.wgsl GROUP); dispatch
// (ceil(M / 4), 1, 1). The argmax needs every logit of its row and WebGPU has no barrier across
// workgroups, so a row's n columns are one workgroup's: invocation t computes columns 4c .. 4c + 3
// for c = t, t + 64, .. (one fma chain over k each, E read once per group) and keeps its best per
// row; after a barrier invocation j < 4 merges row j's 64 candidates (one barrier instead of a
// tree's six: on a CPU rasteriser a barrier costs more than these comparisons). The result does not
// depend on the merge order: the largest value, ties to the lowest index.
// Limits: d <= 256 and n multiples of 4; weight offsets multiples of 4 (Kernels.head checks).

struct Params {
  d: u32, n: u32, eps: f32,
  x_base: u32, x_stride: u32, x_pos: u32,
  g_base: u32, e_base: u32,
  l_base: u32, l_stride: u32, l_pos: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
  _pad0: u32, _pad1: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read_write> L: array<f32>;
@group(0) @binding(5) var<storage, read_write> ids: array<u32>;

const NONE: u32 = 0xffffffffu;
var<workgroup> best_v: array<f32, 256>;   // GROUP x WG: row j, lane t at j * WG + t
var<workgroup> best_i: array<u32, 256>;

// The best logit so far of a row and its index (NONE until a non-NaN one).
struct Best { v: f32, i: u32 }

// Whether (v, i) beats the best so far b: larger, or the first non-NaN (a NaN never compares larger).
fn beats(v: f32, i: u32, b: Best) -> bool {
  return i != NONE && v == v && (b.i == NONE || v > b.v || (v == b.v && i < b.i));
}

// b after the four logits v of columns first .. first + 3, in order (so ties keep the lowest index).
fn consider(b: Best, v: vec4<f32>, first: u32) -> Best {
  var best = b;
  if (beats(v.x, first, best)) { best = Best(v.x, first); }
  if (beats(v.y, first + 1u, best)) { best = Best(v.y, first + 1u); }
  if (beats(v.z, first + 2u, best)) { best = Best(v.z, first + 2u); }
  if (beats(v.w, first + 3u, best)) { best = Best(v.w, first + 3u); }
  return best;
}

// Row r's logits of columns 4c .. 4c + 3.
fn put_logits(r: u32, c: u32, v: vec4<f32>) {
  let e = view_row(p.l_base, p.l_stride, p.l_pos, r) + 4u * c;
  L[e] = v.x;
  L[e + 1u] = v.y;
  L[e + 2u] = v.z;
  L[e + 3u] = v.w;
}

fn share(j: u32, t: u32, b: Best) {
  best_v[j * WG + t] = b.v;
  best_i[j * WG + t] = b.i;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r0 = wg.x * GROUP;
  let m = min(blk.rows - r0, GROUP);
  let d4 = p.d / 4u;
  stage_stream(t, r0, m, d4, p.x_base, p.x_stride, p.x_pos);
  normalise(&xs, t, m, d4, p.eps, p.g_base);

  // Lane t: columns 4c .. 4c + 3 for c = t, t + 64, .., in order, so a lane's ties keep the lowest index.
  var b0 = Best(0.0, NONE);
  var b1 = b0;
  var b2 = b0;
  var b3 = b0;
  for (var c = t; c < p.n / 4u; c += WG) {
    let a = products(&xs, m, d4, p.e_base / 4u + c, p.n / 4u, mat4x4<f32>());
    put_logits(r0, c, a[0]);
    b0 = consider(b0, a[0], 4u * c);
    if (m > 1u) { put_logits(r0 + 1u, c, a[1]); b1 = consider(b1, a[1], 4u * c); }
    if (m > 2u) { put_logits(r0 + 2u, c, a[2]); b2 = consider(b2, a[2], 4u * c); }
    if (m > 3u) { put_logits(r0 + 3u, c, a[3]); b3 = consider(b3, a[3], 4u * c); }
  }
  share(0u, t, b0);
  share(1u, t, b1);
  share(2u, t, b2);
  share(3u, t, b3);
  workgroupBarrier();

  if (t < m) {
    var best = Best(0.0, NONE);
    for (var lane = 0u; lane < WG; lane++) {
      let v = best_v[t * WG + lane];
      let i = best_i[t * WG + lane];
      if (beats(v, i, best)) { best = Best(v, i); }
    }
    var id = best.i;
    if (id == NONE) { id = 0u; } // all NaN: index 0, as ops.argmax
    ids[view_row(p.o_base, p.o_stride, p.o_pos, r0 + t)] = id;
  }
}
