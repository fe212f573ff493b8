// attention.wgsl: causal multi-head attention for a block of M query rows at absolute positions
// pos0 .. pos0+M-1 over a block's Q | K | V cache (qkv.wgsl wrote the block's own rows there). Row
// r, head h attends to cache rows 0 .. L-1 with L = pos0 + r + 1:
//   s_t = (q_h . k_t,h) * scale,  p_t = exp(s_t - max s),  out_h = sum_t p_t v_t,h / sum_t p_t.
//
// Four lanes per (row, head), each an online softmax (FlashAttention's running max, sum and
// output, rescaled when the max grows) over its keys t = lane, lane + 4, ..; one barrier, then the
// four partials are merged. Few lanes and one barrier because on a CPU rasteriser (SwiftShader)
// invocations and barriers are what a workgroup costs: a depth-2 step's attention fell from about
// 30 ms to 2.7 ms there (npm run profile) against a 64-lane version with two reduction trees, and a
// fused version with the output projection (one workgroup of 64 a row, all heads) was 2x slower at
// 4 rows than this kernel and the projection apart (1.5 ms against 3 ms). On a GPU a decode block
// is a handful of workgroups either way (launch latency, not arithmetic), and a prefill of 256 rows
// still gives 1024 workgroups. The output projection and the residual add open wo_ffn.wgsl.
//
// Fixed reduction order per (row, head), independent of M: each dot product is a sequential fma
// chain over the head's dimensions; each lane runs over its keys in order; lanes merge in order.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static): n_heads, head_dim, scale, the cache's layout, view of out
//   2 C:   storage read f32, the Q | K | V cache: position t's q at q_base + t * c_stride, k at
//          k_base + t * c_stride, v at v_base + t * c_stride; head h at + h * head_dim
//   3 out: storage rw   f32, row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: 4 invocations per (head, row); dispatch (n_heads, M, 1).
// Limits: head_dim <= 64 (each lane's running output is a private array); any context length.

struct Params {
  n_heads: u32, head_dim: u32, scale: f32,
  c_stride: u32, q_base: u32, k_base: u32, v_base: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
  _pad0: u32, _pad1: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> C: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

const LANES: u32 = 4u;
const MAX_HD: u32 = 64u;
var<workgroup> lane_max: array<f32, LANES>;
var<workgroup> lane_sum: array<f32, LANES>;
var<workgroup> lane_out: array<f32, 256>; // LANES * MAX_HD: lane j's running output at j * MAX_HD

@compute @workgroup_size(4)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  let h = wg.x;
  let r = wg.y;
  let L = blk.pos0 + r + 1u;
  let hd = p.head_dim;
  let hoff = h * hd;
  let qrow = p.q_base + (blk.pos0 + r) * p.c_stride + hoff;
  var q: array<f32, MAX_HD>;
  var acc: array<f32, MAX_HD>;
  for (var i = 0u; i < hd; i++) {
    q[i] = C[qrow + i];
    acc[i] = 0.0;
  }

  // This lane's keys, online: m and sum are the running max and denominator, acc the numerator.
  var m = LOWEST_F32;
  var sum = 0.0;
  for (var t = l; t < L; t += LANES) {
    let kb = p.k_base + t * p.c_stride + hoff;
    var s = 0.0;
    for (var i = 0u; i < hd; i++) { s = fma(q[i], C[kb + i], s); }
    s = s * p.scale;
    if (s > m) {
      let c = exp(m - s);
      sum = sum * c;
      for (var i = 0u; i < hd; i++) { acc[i] = acc[i] * c; }
      m = s;
    }
    let e = exp(s - m);
    sum += e;
    let vb = p.v_base + t * p.c_stride + hoff;
    for (var i = 0u; i < hd; i++) { acc[i] = fma(e, C[vb + i], acc[i]); }
  }
  lane_max[l] = m;
  lane_sum[l] = sum;
  for (var i = 0u; i < hd; i++) { lane_out[l * MAX_HD + i] = acc[i]; }
  workgroupBarrier();

  // Merge the lanes in order, each lane writing every 4th output dimension.
  var mx = lane_max[0];
  for (var j = 1u; j < LANES; j++) { mx = max(mx, lane_max[j]); }
  var scale: array<f32, LANES>;
  var total = 0.0;
  for (var j = 0u; j < LANES; j++) {
    scale[j] = exp(lane_max[j] - mx); // 0 for a lane that had no keys
    total = fma(scale[j], lane_sum[j], total);
  }
  let orow = view_row(p.o_base, p.o_stride, p.o_pos, r) + hoff;
  for (var i = l; i < hd; i += LANES) {
    var o = 0.0;
    for (var j = 0u; j < LANES; j++) { o = fma(scale[j], lane_out[j * MAX_HD + i], o); }
    O[orow + i] = o / total;
  }
}
