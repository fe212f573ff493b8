// head.wgsl: a model's output for a row batch, in one dispatch: the final RMSNorm, the logits
// against the tied embedding table, and their argmax:
//   a = x / sqrt(mean(x^2) + eps) * g,   logits[r, n] = a . E[n],   id[r] = argmax_n logits[r, n]
// Ties go to the lowest index, as ops.argmax; NaNs are skipped (an all-NaN row gives 0). An MTP
// module's head may score only its draft vocabulary (FR-Spec: `cols` of the n tokens, the most
// frequent, ascending; `mapped`): the table then holds those tokens' columns, and every other logit
// of the row is EXCLUDED (ops.EXCLUDED_LOGIT), so sampling, the argmax and the candidates see a row
// of n logits either way (ops.matvecRows is the oracle). The ids
// are written at a view of a u32 buffer, so a module's draft lands straight in the token buffer the
// next gather reads; the logits stay for the sampling kernel and the readback.
// A draft tree's drafter writes its best `count` ids, best first (ops.topCandidates: larger first,
// ties to the lower index, NaNs never, 0 past the last non-NaN): a sequence row batch.top of them at
// its view's row and the ids after it, a tree row (prelude.wgsl Node) its n_out at ids[out ..]
// (n_out 0: one, as a sequence row). Candidate c is the best logit ranked after candidate c - 1.
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, prelude.wgsl): rows M, pos0, tree rows, top
//   1 uniform Params (static): d, n (vocabulary), cols (table columns), mapped, eps, view of X,
//                               g_base, e_base, views of L and ids
//   2 X:   the residual stream (rows.wgsl), row r at x_base + (x_positional * pos0 + r) * x_stride
//   3 W:   the weights buffer (rows.wgsl): g at float g_base, the table transposed ([d, cols]) at e_base:
//          E (cols = n), or the draft vocabulary's columns of it
//   4 L:   storage rw   f32, logits of row r at l_base + (l_positional * pos0 + r) * l_stride
//   5 ids: storage rw   u32, id of row r at o_base + (o_positional * pos0 + r) * o_stride
//   6 vocab: storage read u32, mapped: the token of table column c at vocab[c] (cols of them, ascending)
//   8 nodes: storage read Node, the tree rows (prelude.wgsl)
//
// Workgroup layout: one workgroup of 64 per group of up to 4 rows (rows.wgsl GROUP); dispatch
// (ceil(M / 4), 1, 1). The argmax needs every logit of its row and WebGPU has no barrier across
// workgroups, so a row's cols columns are one workgroup's: invocation t computes columns 4c .. 4c + 3
// for c = t, t + 64, .. (one fma chain over k each, E read once per group) and keeps its best per
// row; after a barrier invocation j < 4 merges row j's 64 candidates (one barrier instead of a
// tree's six: on a CPU rasteriser a barrier costs more than these comparisons). The result does not
// depend on the merge order: the largest value, ties to the lowest index. Each further candidate is
// one more round: every lane rescans the logits it wrote (its own writes: no barrier) for the best
// ranked after the last candidate, and the merge again (two barriers a round). Mapped, the lane
// that computes columns 4c .. 4c + 3 also writes EXCLUDED over the tokens between column 4c - 1's and
// column 4c + 3's that the vocabulary leaves out (the last lane, the tokens after the last column),
// so each logit of a row is written by one lane, and no barrier is needed.
// Limits: d <= 256, n and cols multiples of 4; weight offsets multiples of 4 (Kernels.head checks).

struct Params {
  d: u32, n: u32, cols: u32, mapped: u32, eps: f32,
  x_base: u32, x_stride: u32, x_positional: u32,
  g_base: u32, e_base: u32,
  l_base: u32, l_stride: u32, l_positional: u32,
  o_base: u32, o_stride: u32, o_positional: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read_write> L: array<f32>;
@group(0) @binding(5) var<storage, read_write> ids: array<u32>;
@group(0) @binding(6) var<storage, read> vocab: array<u32>;

const EXCLUDED: f32 = -0x1.fffffep+127f; // ops.EXCLUDED_LOGIT, the lowest finite f32

const NONE: u32 = 0xffffffffu;
var<workgroup> best_v: array<f32, 256>;   // GROUP x WG: row j, lane t at j * WG + t
var<workgroup> best_i: array<u32, 256>;
var<workgroup> last_v: array<f32, 4>;     // each row's last candidate (GROUP rows)
var<workgroup> last_i: array<u32, 4>;

// The best logit so far of a row and its index (NONE until a non-NaN one).
struct Best { v: f32, i: u32 }

// Whether (v, i) beats the best so far b: larger, or the first non-NaN (a NaN never compares larger).
fn beats(v: f32, i: u32, b: Best) -> bool {
  return i != NONE && v == v && (b.i == NONE || v > b.v || (v == b.v && i < b.i));
}

// Whether (v, i) ranks after the candidate `last`: smaller, or equal with a larger index (none
// ranks after NONE, the mark of a row out of non-NaN logits).
fn after(v: f32, i: u32, last: Best) -> bool {
  return last.i != NONE && (v < last.v || (v == last.v && i > last.i));
}

// The tokens of table columns 4c .. 4c + 3: the columns themselves, or the draft vocabulary's.
fn tokens_of(c: u32) -> vec4<u32> {
  if (p.mapped == 0u) { return vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u); }
  return vec4<u32>(vocab[4u * c], vocab[4u * c + 1u], vocab[4u * c + 2u], vocab[4u * c + 3u]);
}

// b after the four logits v of the ascending tokens i, in order (so ties keep the lowest index),
// only those ranked after `last` when `rescan` (a later candidate's round).
fn consider(b: Best, v: vec4<f32>, i: vec4<u32>, rescan: bool, last: Best) -> Best {
  var best = b;
  if (beats(v.x, i.x, best) && (!rescan || after(v.x, i.x, last))) { best = Best(v.x, i.x); }
  if (beats(v.y, i.y, best) && (!rescan || after(v.y, i.y, last))) { best = Best(v.y, i.y); }
  if (beats(v.z, i.z, best) && (!rescan || after(v.z, i.z, last))) { best = Best(v.z, i.z); }
  if (beats(v.w, i.w, best) && (!rescan || after(v.w, i.w, last))) { best = Best(v.w, i.w); }
  return best;
}

// Row r's logits of the tokens i, as put_logits wrote them.
fn get_logits(r: u32, i: vec4<u32>) -> vec4<f32> {
  let e = view_row(p.l_base, p.l_stride, p.l_positional, r);
  return vec4<f32>(L[e + i.x], L[e + i.y], L[e + i.z], L[e + i.w]);
}

// Where row r's candidate c goes, and how many it writes.
fn candidates(r: u32) -> u32 {
  if (is_tree_row(r)) { return max(node_of(r).n_out, 1u); }
  return batch.top;
}

fn put_id(r: u32, c: u32, id: u32) {
  if (is_tree_row(r)) {
    let node = node_of(r);
    if (node.n_out > 0u) {
      ids[node.out + c] = id;
      return;
    }
  }
  ids[view_row(p.o_base, p.o_stride, p.o_positional, r) + c] = id;
}

// Lane j < m merges row j's 64 lane bests into the row's next candidate, writes it, keeps it in last_*.
fn merge(j: u32, m: u32, r0: u32, c: u32) {
  if (j >= m) { return; }
  var best = Best(0.0, NONE);
  for (var lane = 0u; lane < WG; lane++) {
    let v = best_v[j * WG + lane];
    let i = best_i[j * WG + lane];
    if (beats(v, i, best)) { best = Best(v, i); }
  }
  last_v[j] = best.v;
  last_i[j] = best.i;
  var id = best.i;
  if (id == NONE) { id = 0u; } // all NaN: index 0, as ops.argmax
  if (c < candidates(r0 + j)) { put_id(r0 + j, c, id); }
}

// Row r's logits v of the tokens i, table columns 4c .. 4c + 3; mapped, EXCLUDED for the tokens
// left out before them (after column 4c - 1's token), and after the last column, to the row's end.
fn put_logits(r: u32, c: u32, i: vec4<u32>, v: vec4<f32>) {
  let e = view_row(p.l_base, p.l_stride, p.l_positional, r);
  if (p.mapped != 0u) {
    var start = 0u;
    if (c > 0u) { start = vocab[4u * c - 1u] + 1u; }
    exclude(e, start, i.x);
    exclude(e, i.x + 1u, i.y);
    exclude(e, i.y + 1u, i.z);
    exclude(e, i.z + 1u, i.w);
    if (4u * c + 4u == p.cols) { exclude(e, i.w + 1u, p.n); }
  }
  L[e + i.x] = v.x;
  L[e + i.y] = v.y;
  L[e + i.z] = v.z;
  L[e + i.w] = v.w;
}

// EXCLUDED over tokens start .. end - 1 of the row at e.
fn exclude(e: u32, start: u32, end: u32) {
  for (var i = start; i < end; i++) { L[e + i] = EXCLUDED; }
}

fn share(j: u32, t: u32, b: Best) {
  best_v[j * WG + t] = b.v;
  best_i[j * WG + t] = b.i;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r0 = wg.x * GROUP;
  let m = min(batch.rows - r0, GROUP);
  let d4 = p.d / 4u;
  stage_stream(t, r0, m, d4, p.x_base, p.x_stride, p.x_positional);
  normalise(&xs, t, m, d4, p.eps, p.g_base);

  // Lane t: columns 4c .. 4c + 3 for c = t, t + 64, .., in order, so a lane's ties keep the lowest index.
  let none = Best(0.0, NONE);
  var b0 = none;
  var b1 = none;
  var b2 = none;
  var b3 = none;
  for (var c = t; c < p.cols / 4u; c += WG) {
    let a = products(&xs, m, d4, p.e_base / 4u + c, p.cols / 4u, mat4x4<f32>());
    let i = tokens_of(c);
    put_logits(r0, c, i, a[0]);
    b0 = consider(b0, a[0], i, false, none);
    if (m > 1u) { put_logits(r0 + 1u, c, i, a[1]); b1 = consider(b1, a[1], i, false, none); }
    if (m > 2u) { put_logits(r0 + 2u, c, i, a[2]); b2 = consider(b2, a[2], i, false, none); }
    if (m > 3u) { put_logits(r0 + 3u, c, i, a[3]); b3 = consider(b3, a[3], i, false, none); }
  }
  share(0u, t, b0);
  share(1u, t, b1);
  share(2u, t, b2);
  share(3u, t, b3);
  workgroupBarrier();
  merge(t, m, r0, 0u);

  // Further candidates (a draft tree's drafters): batch.top rounds for sequence rows, or the most any of
  // the batch's tree rows asks for (RowBatch.top holds it then too).
  for (var round = 1u; round < batch.top; round++) {
    workgroupBarrier(); // last_* written
    let l0 = Best(last_v[0], last_i[0]);
    let l1 = Best(last_v[1], last_i[1]);
    let l2 = Best(last_v[2], last_i[2]);
    let l3 = Best(last_v[3], last_i[3]);
    b0 = none;
    b1 = none;
    b2 = none;
    b3 = none;
    for (var c = t; c < p.cols / 4u; c += WG) {
      let i = tokens_of(c);
      b0 = consider(b0, get_logits(r0, i), i, true, l0);
      if (m > 1u) { b1 = consider(b1, get_logits(r0 + 1u, i), i, true, l1); }
      if (m > 2u) { b2 = consider(b2, get_logits(r0 + 2u, i), i, true, l2); }
      if (m > 3u) { b3 = consider(b3, get_logits(r0 + 3u, i), i, true, l3); }
    }
    share(0u, t, b0);
    share(1u, t, b1);
    share(2u, t, b2);
    share(3u, t, b3);
    workgroupBarrier();
    merge(t, m, r0, round);
  }
}
