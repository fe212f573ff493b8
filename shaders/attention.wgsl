// attention.wgsl: causal multi-head attention for a block of M query rows at absolute positions
// pos0 .. pos0+M-1 over a KV cache whose rows are absolute positions (the block's own K/V rows are
// already written). Row r, head h attends to cache rows 0 .. L-1 with L = pos0 + r + 1:
//   s_t = (q_h . k_t,h) * scale,  p_t = exp(s_t - max s),  out_h = sum_t p_t v_t,h / sum_t p_t.
//
// Fixed reduction order per (row, head), independent of M: each dot product is a sequential fma
// chain over the head's dimensions; max and sum over t use per-invocation strided loops
// (t = lane, lane+64, ..) and a fixed binary tree; out_h[i] is a sequential fma chain over t.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset): rows M, pos0
//   1 uniform Params (static): n_heads, head_dim, scale, views of Q, K, V, out
//   2 Q:   storage read f32, row r at q_base + (q_pos * pos0 + r) * q_stride, head h at + h * head_dim
//   3 K:   storage read f32, cache row t at k_base + t * k_stride
//   4 V:   storage read f32, cache row t at v_base + t * v_stride
//   5 out: storage rw   f32, row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: 64 invocations per (head, row); dispatch (n_heads, M, 1).
// Limits: pos0 + M <= 1024 (scores live in workgroup memory), head_dim <= 256.

struct Block { rows: u32, pos0: u32, _pad0: u32, _pad1: u32 }
struct Params {
  n_heads: u32, head_dim: u32, scale: f32,
  q_base: u32, q_stride: u32, q_pos: u32,
  k_base: u32, k_stride: u32,
  v_base: u32, v_stride: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
  _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> blk: Block;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> Q: array<f32>;
@group(0) @binding(3) var<storage, read> K: array<f32>;
@group(0) @binding(4) var<storage, read> V: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;

const WG: u32 = 64u;
const MAX_KV: u32 = 1024u;
var<workgroup> scores: array<f32, 1024>;
var<workgroup> red: array<f32, 64>;
var<workgroup> qs: array<f32, 256>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let h = wg.x;
  let r = wg.y;
  let L = min(blk.pos0 + r + 1u, MAX_KV);
  let hd = p.head_dim;
  let hoff = h * hd;
  let qrow = p.q_base + (p.q_pos * blk.pos0 + r) * p.q_stride + hoff;
  for (var i = t; i < hd; i += WG) { qs[i] = Q[qrow + i]; }
  workgroupBarrier();

  // scores and the lane's running max
  var mx = -0x1.fffffep+127f; // lowest finite f32 (a constant -inf is not valid WGSL)
  for (var tt = t; tt < L; tt += WG) {
    let kb = p.k_base + tt * p.k_stride + hoff;
    var s = 0.0;
    for (var i = 0u; i < hd; i++) { s = fma(qs[i], K[kb + i], s); }
    s = s * p.scale;
    scores[tt] = s;
    mx = max(mx, s);
  }
  red[t] = mx;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { red[t] = max(red[t], red[t + stride]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();

  // exponentials and their sum
  var sum = 0.0;
  for (var tt = t; tt < L; tt += WG) {
    let e = exp(scores[tt] - m);
    scores[tt] = e;
    sum += e;
  }
  red[t] = sum;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { red[t] = red[t] + red[t + stride]; }
    workgroupBarrier();
  }
  let total = red[0];

  // weighted sum of values
  let orow = p.o_base + (p.o_pos * blk.pos0 + r) * p.o_stride + hoff;
  for (var i = t; i < hd; i += WG) {
    var acc = 0.0;
    for (var tt = 0u; tt < L; tt++) {
      acc = fma(scores[tt], V[p.v_base + tt * p.v_stride + hoff + i], acc);
    }
    O[orow + i] = acc / total;
  }
}
