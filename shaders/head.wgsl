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

// Whether (v, i) beats the best so far (bv, bi): larger, or the first non-NaN.
fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r0 = wg.x * GROUP;
  let m = min(blk.rows - r0, GROUP);
  let d4 = p.d / 4u;

  stage_stream(t, r0, m, d4, p.x_base, p.x_stride, p.x_pos);
  normalise(&xs, t, m, d4, p.eps, p.g_base);

  // Lane t: columns 4c .. 4c + 3 for c = t, t + 64, .., in order, so a lane's ties keep the lowest index.
  var bv = vec4<f32>(0.0);
  var bi = vec4<u32>(NONE);
  for (var c = t; c < p.n / 4u; c += WG) {
    let a = products(&xs, m, d4, p.e_base / 4u + c, p.n / 4u, mat4x4<f32>());
    for (var j = 0u; j < m; j++) {
      let lr = view_row(p.l_base, p.l_stride, p.l_pos, r0 + j) + 4u * c;
      for (var i = 0u; i < 4u; i++) {
        let v = a[j][i];
        L[lr + i] = v;
        // A NaN never compares larger, and the first non-NaN takes an empty slot.
        if ((bi[j] == NONE && v == v) || v > bv[j]) {
          bv[j] = v;
          bi[j] = 4u * c + i;
        }
      }
    }
  }
  for (var j = 0u; j < GROUP; j++) {
    best_v[j * WG + t] = bv[j];
    best_i[j * WG + t] = bi[j];
  }
  workgroupBarrier();

  if (t < m) {
    var v = 0.0;
    var id = NONE;
    for (var lane = 0u; lane < WG; lane++) {
      if (better(best_v[t * WG + lane], best_i[t * WG + lane], v, id)) {
        v = best_v[t * WG + lane];
        id = best_i[t * WG + lane];
      }
    }
    if (id == NONE) { id = 0u; }
    ids[view_row(p.o_base, p.o_stride, p.o_pos, r0 + t)] = id;
  }
}
