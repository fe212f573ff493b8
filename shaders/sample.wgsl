// sample.wgsl: one token drawn per row from its sampling distribution, and that distribution
// written out (speculative sampling: the MTP modules draw their drafts with it inside the step, and
// the decode loop reads the main model's and the drafts' distributions back). Per row r of n logits:
//   e_i = exp((x_i - max_j x_j) * inv_temp)     (NaN and EXCLUDED logits: e_i = 0; EXCLUDED, ops.EXCLUDED_LOGIT,
//                                                 marks a token a draft head does not score)
//   nucleus: top_p >= 1 keeps every i. Otherwise the threshold v is the largest e value with
//     S(v) = sum_{e_j >= v} e_j >= top_p * S(0), and the nucleus is every i with e_i >= v (tied values
//     kept together): the smallest set of most likely tokens holding top_p of the mass. Each
//     invocation sums S at its own values over the whole row (n^2 / 64 adds each; no sort, and only
//     a few barriers, which is what costs on a CPU rasteriser), then a max picks v.
//   P[r, i] = e_i / Z inside the nucleus (Z = its sum), 0 outside;
//   ids[r]  = the first i (index order) whose running nucleus sum C_i exceeds u * Z, u = U[r] in [0, 1)
//             (inverse CDF). Only an i with e_i > 0 can be drawn; if rounding leaves none, the last one.
// src/model/ops.ts samplingDistribution / sampleIndex compute the same in float64 (the test oracle).
//
// Reduction order (the same bits for a row whatever the batch size): invocation t owns the
// contiguous chunk [t * c, (t + 1) * c), c = ceil(n / 64), summed in index order; the 64 chunk sums
// go through two fixed levels (8 groups of 8 in order, then the 8 group sums in order), for totals,
// maxima and the running sums of the draw alike. S(v) is a sequential sum over the row in index order.
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static, rewritten when the setting changes): n, inv_temp, top_p, views of X, U, P, ids
//   2 X:   storage read f32 logits,   row r at x_base + (x_positional * pos0 + r) * x_stride
//   3 U:   storage read f32 uniform,  row r's at u_base + (u_positional * pos0 + r) * u_stride
//   4 P:   storage rw   f32 distribution, row r at p_base + (p_positional * pos0 + r) * p_stride
//   5 ids: storage rw   u32 drawn token, row r's at o_base + (o_positional * pos0 + r) * o_stride
//
// Workgroup layout: 64 invocations per row, n <= 2048 (the row's e values live in workgroup memory);
// dispatch (M, 1, 1). Few invocations because on SwiftShader (a CPU) every barrier switches between all
// of them: 64 is much faster there than 256 (16 faster still, but would leave a GPU's lanes idle), and
// a bisection on the bit patterns instead of the S(v) sums was slower (docs/journal.md).

struct Params {
  n: u32, inv_temp: f32, top_p: f32,
  x_base: u32, x_stride: u32, x_positional: u32,
  u_base: u32, u_stride: u32, u_positional: u32,
  p_base: u32, p_stride: u32, p_positional: u32,
  o_base: u32, o_stride: u32, o_positional: u32,
  _pad0: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read_write> P: array<f32>;
@group(0) @binding(5) var<storage, read_write> ids: array<u32>;

const MAX_N: u32 = 2048u;
const GROUPS: u32 = 8u; // second level of every reduction: 8 groups of 8 invocations (GROUPS^2 = WG)
const NONE: u32 = 0xffffffffu;
const EXCLUDED: f32 = -0x1.fffffep+127f; // ops.EXCLUDED_LOGIT, the lowest finite f32
var<workgroup> ev: array<f32, MAX_N>;
var<workgroup> red: array<vec4<f32>, WG>;
var<workgroup> red2: array<vec4<f32>, GROUPS>;
var<workgroup> first_hit: atomic<u32>;
var<workgroup> last_positive: atomic<u32>;


// Four sums at once over the workgroup, in a fixed order: invocation g < 8 adds red[8g .. 8g + 7]
// in order, then every invocation adds the 8 group sums in order (so all get the same bits).
// Two barriers; call in uniform control flow.
fn wg_sum4(t: u32, v: vec4<f32>) -> vec4<f32> {
  red[t] = v;
  workgroupBarrier();
  if (t < GROUPS) {
    var s = vec4<f32>(0.0);
    for (var k = 0u; k < GROUPS; k++) { s += red[t * GROUPS + k]; }
    red2[t] = s;
  }
  workgroupBarrier();
  var total = vec4<f32>(0.0);
  for (var g = 0u; g < GROUPS; g++) { total += red2[g]; }
  return total;
}

// The maximum over the workgroup, in the same two-level order (a maximum is exact: any order gives
// the same bits). Two barriers; call in uniform control flow.
fn wg_max(t: u32, v: f32) -> f32 {
  red[t].x = v;
  workgroupBarrier();
  if (t < GROUPS) {
    var g = red[t * GROUPS].x;
    for (var k = 1u; k < GROUPS; k++) { g = max(g, red[t * GROUPS + k].x); }
    red2[t].x = g;
  }
  workgroupBarrier();
  var m = red2[0].x;
  for (var g = 1u; g < GROUPS; g++) { m = max(m, red2[g].x); }
  return m;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = wg.x;
  let xb = view_row(p.x_base, p.x_stride, p.x_positional, r);
  let c = (p.n + WG - 1u) / WG;
  let start = min(t * c, p.n);
  let end = min(start + c, p.n);

  // Row maximum (NaNs skipped), same two-level order as wg_sum4.
  var mx = EXCLUDED; // the lowest finite f32 (a constant -inf is not valid WGSL)
  for (var i = start; i < end; i++) {
    let x = X[xb + i];
    if (x == x) { mx = max(mx, x); }
  }
  let m = wg_max(t, mx);

  // Unnormalised probabilities of this invocation's chunk, kept in workgroup memory.
  var chunk_sum = 0.0;
  for (var i = start; i < end; i++) {
    let x = X[xb + i];
    var v = 0.0;
    // EXCLUDED is tested, not left to exp: times inv_temp > 1 it would overflow, and a GPU need
    // not honour infinities.
    if (x == x && x > EXCLUDED) { v = exp((x - m) * p.inv_temp); }
    ev[i] = v;
    chunk_sum += v;
  }

  // Top-p threshold: the largest e_i with S(e_i) >= top_p * S(0), S(v) = sum_{e_j >= v} e_j. Each
  // invocation computes S at its own values (a sequential sum over the row in index order: the same
  // bits for tied values, and monotone in v, since terms only drop out), then a max over the eligible.
  var threshold = 0.0;
  if (p.top_p < 1.0) {
    let goal = p.top_p * wg_sum4(t, vec4<f32>(chunk_sum, 0.0, 0.0, 0.0)).x; // its barriers publish ev
    var best = 0.0;
    for (var b = start; b < end; b += 4u) {
      var mine = vec4<f32>(2.0); // above every e: a lane past the chunk's end counts nothing
      for (var k = 0u; k < 4u; k++) {
        if (b + k < end) { mine[k] = ev[b + k]; }
      }
      var s = vec4<f32>(0.0);
      for (var j = 0u; j < p.n; j++) {
        let v = ev[j];
        s += select(vec4<f32>(0.0), vec4<f32>(v), vec4<f32>(v) >= mine);
      }
      for (var k = 0u; k < 4u; k++) {
        if (b + k < end && s[k] >= goal) { best = max(best, mine[k]); }
      }
    }
    threshold = wg_max(t, best); // every best is >= 0, as threshold was
    workgroupBarrier(); // red is written again below
  }

  // The nucleus, and an inclusive scan of the chunk sums in the same two-level order.
  var kept = 0.0;
  for (var i = start; i < end; i++) {
    var v = ev[i];
    if (v < threshold) { v = 0.0; ev[i] = 0.0; }
    kept += v;
  }
  red[t].x = kept;
  if (t == 0u) {
    atomicStore(&first_hit, NONE);
    atomicStore(&last_positive, 0u);
  }
  workgroupBarrier();
  if (t < GROUPS) {
    // In-place inclusive scan of group t; its total to red2.
    var s = 0.0;
    for (var k = 0u; k < GROUPS; k++) {
      s += red[t * GROUPS + k].x;
      red[t * GROUPS + k].y = s;
    }
    red2[t].y = s;
  }
  workgroupBarrier();
  let group = t / GROUPS;
  var z = 0.0;
  var run = 0.0; // sum of everything before this chunk
  for (var g = 0u; g < GROUPS; g++) {
    if (g == group) { run = z; }
    z += red2[g].y;
  }
  if (t % GROUPS > 0u) { run += red[t - 1u].y; }

  // Write the distribution; find the first running sum past u * Z in this chunk.
  let cut = U[view_row(p.u_base, p.u_stride, p.u_positional, r)] * z;
  let pb = view_row(p.p_base, p.p_stride, p.p_positional, r);
  var hit = NONE;
  var last = NONE;
  for (var i = start; i < end; i++) {
    let v = ev[i];
    P[pb + i] = v / z;
    if (v > 0.0) {
      run = run + v;
      if (hit == NONE && run > cut) { hit = i; }
      last = i;
    }
  }
  if (hit != NONE) { atomicMin(&first_hit, hit); }
  if (last != NONE) { atomicMax(&last_positive, last); }
  workgroupBarrier();
  if (t == 0u) {
    var id = atomicLoad(&first_hit);
    if (id == NONE) { id = atomicLoad(&last_positive); }
    ids[view_row(p.o_base, p.o_stride, p.o_positional, r)] = id;
  }
}
