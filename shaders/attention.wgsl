// attention.wgsl: causal multi-head attention for a row batch of M query rows in slots pos0 .. pos0+M-1
// over a block's Q | K | V cache (qkv.wgsl wrote the batch's own rows there). Row r, head h at
// position pos (pos0 + r, or a tree row's, prelude.wgsl) attends to the keys of positions
// e = 0 .. pos, key e in cache row slot(e) = e, except a tree row's keys at e >= prefix, which are
// its branch's rows (Node.keys): a draft-tree node sees the committed prefix and its ancestors, never
// a sibling. With t = slot(e):
//   s_t = (q_h . k_t,h) * scale,  p_t = exp(s_t - max s),  out_h = sum_t p_t v_t,h / sum_t p_t.
//
// Four lanes per (row, head), each an online softmax (FlashAttention's running max, sum and
// output, rescaled when the max grows) over its keys t = lane, lane + 4, ..; one barrier, then the
// four partials are merged. Few lanes and one barrier because on a CPU rasteriser (SwiftShader)
// invocations and barriers are what a workgroup costs: there this kernel beats a 64-lane version with
// two reduction trees by far, and it plus a separate output projection beats a kernel fusing the two (one
// workgroup of 64 a row, all heads; docs/journal.md, "Figures moved from code comments"). On a GPU a
// decode row batch is a handful of workgroups either way (launch latency, not arithmetic), and a prefill
// of 256 rows still gives 1024 workgroups. The output projection and the residual add open wo-ffn.wgsl.
//
// Fixed reduction order per (row, head), independent of M: each dot product is a sequential fma
// chain over the head's dimensions; each lane runs over its keys in order (e = lane, lane + 4, ..,
// whichever slot holds them, so a tree row's result is the bits its branch gives as a chain); lanes
// merge in order.
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, declared in prelude.wgsl): rows M, pos0, tree rows
//   1 uniform Params (static): n_heads, scale, the cache's layout, view of out (HEAD_DIM: below)
//   2 C:   storage read f32, the Q | K | V cache: position t's q at q_base + t * c_stride, k at
//          k_base + t * c_stride, v at v_base + t * c_stride; head h at + h * head_dim
//   3 out: storage rw   f32, row r at o_base + (o_positional * pos0 + r) * o_stride
//   8 nodes: storage read Node, the tree rows (prelude.wgsl)
//
// Workgroup layout: 4 invocations per (head, row); dispatch (n_heads, M, 1).
// Limits: head_dim a multiple of 4 up to 64 (two Parts in registers, below); any context length;
// a tree row's keys past its prefix: at most 4.

struct Params {
  n_heads: u32, scale: f32,
  c_stride: u32, q_base: u32, k_base: u32, v_base: u32,
  o_base: u32, o_stride: u32, o_positional: u32,
  _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> C: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

// The model's head size, fixed when the pipeline is made (Kernels.create's headDim), so that the
// branches on it below fold away: tested per key, they made the kernel slower on SwiftShader (docs/journal.md).
override HEAD_DIM: u32;
const LANES: u32 = 4u;
var<workgroup> lane_max: array<f32, LANES>;
var<workgroup> lane_sum: array<f32, LANES>;
var<workgroup> lane_out: array<vec4<f32>, 64>; // LANES x 16 vec4s (64 dims): lane j's running output at j * 16

// A head's dims live in registers, 32 at a time (Part: 8 vec4s, dims 32 h .. 32 h + 31 of a head),
// every index a constant: with loops over private arrays instead, SwiftShader kept them in memory
// and the kernel was several times slower (docs/journal.md). A head of up to 32 dims is one Part, up
// to 64 two.
alias Part = array<vec4<f32>, 8>;

fn ld(e: u32) -> vec4<f32> { return vec4<f32>(C[e], C[e + 1u], C[e + 2u], C[e + 3u]); }

// vec4 i of the part at float e, for i < n (0 past the head: n = its vec4s in this part).
fn ld_part(e: u32, n: u32) -> Part {
  return Part(ld_if(e, 0u, n), ld_if(e, 1u, n), ld_if(e, 2u, n), ld_if(e, 3u, n), ld_if(e, 4u, n), ld_if(e, 5u, n), ld_if(e, 6u, n), ld_if(e, 7u, n));
}

fn ld_if(e: u32, i: u32, n: u32) -> vec4<f32> {
  if (i < n) { return ld(e + 4u * i); }
  return vec4<f32>(0.0);
}

// acc + x . w as four fmas in order (not dot(), whose summation order is the compiler's).
fn dot4(x: vec4<f32>, w: vec4<f32>, acc: f32) -> f32 {
  return fma(x.w, w.w, fma(x.z, w.z, fma(x.y, w.y, fma(x.x, w.x, acc))));
}

// acc + a . b over the part's dims, one fma chain in dim order.
fn dot_part(a: Part, b: Part, acc: f32) -> f32 {
  return dot4(a[7], b[7], dot4(a[6], b[6], dot4(a[5], b[5], dot4(a[4], b[4], dot4(a[3], b[3], dot4(a[2], b[2], dot4(a[1], b[1], dot4(a[0], b[0], acc))))))));
}

// acc * c + e * v, dim by dim.
fn update(acc: Part, c: f32, e: f32, v: Part) -> Part {
  let cv = vec4<f32>(c);
  let ev = vec4<f32>(e);
  return Part(fma(ev, v[0], acc[0] * cv), fma(ev, v[1], acc[1] * cv), fma(ev, v[2], acc[2] * cv), fma(ev, v[3], acc[3] * cv),
              fma(ev, v[4], acc[4] * cv), fma(ev, v[5], acc[5] * cv), fma(ev, v[6], acc[6] * cv), fma(ev, v[7], acc[7] * cv));
}

// A lane's online softmax so far: running max m, denominator sum, numerator acc (a head's dims).
struct Online { m: f32, sum: f32, acc0: Part, acc1: Part }

// The online state after the key in cache row t (head offset hoff; the query's parts q0, q1).
fn attend(o: Online, t: u32, hoff: u32, q0: Part, q1: Part, n0: u32, n1: u32) -> Online {
  let kb = p.k_base + t * p.c_stride + hoff;
  var s = dot_part(q0, ld_part(kb, n0), 0.0);
  if (n1 > 0u) { s = dot_part(q1, ld_part(kb + 32u, n1), s); }
  s = s * p.scale;
  // c rescales what was summed when the max grows; 1 otherwise.
  var m = o.m;
  var c = 1.0;
  if (s > m) {
    c = exp(m - s);
    m = s;
  }
  let e = exp(s - m);
  let vb = p.v_base + t * p.c_stride + hoff;
  var acc1 = o.acc1;
  if (n1 > 0u) { acc1 = update(o.acc1, c, e, ld_part(vb + 32u, n1)); }
  return Online(m, fma(o.sum, c, e), update(o.acc0, c, e, ld_part(vb, n0)), acc1);
}

fn share(l: u32, part: u32, n: u32, acc: Part) {
  let at = l * 16u + 8u * part;
  if (n > 0u) { lane_out[at] = acc[0]; }
  if (n > 1u) { lane_out[at + 1u] = acc[1]; }
  if (n > 2u) { lane_out[at + 2u] = acc[2]; }
  if (n > 3u) { lane_out[at + 3u] = acc[3]; }
  if (n > 4u) { lane_out[at + 4u] = acc[4]; }
  if (n > 5u) { lane_out[at + 5u] = acc[5]; }
  if (n > 6u) { lane_out[at + 6u] = acc[6]; }
  if (n > 7u) { lane_out[at + 7u] = acc[7]; }
}

@compute @workgroup_size(4)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  let h = wg.x;
  let r = wg.y;
  let pos = row_pos(r);
  let L = pos + 1u;
  // Keys before `prefix` sit in the slots of their positions; a tree row's later ones in its keys.
  var prefix = L;
  var keys = vec4<u32>();
  if (is_tree_row(r)) {
    let node = node_of(r);
    prefix = node.prefix;
    keys = node.keys;
  }
  let hd = HEAD_DIM;
  let hd4 = hd / 4u;
  let n0 = min(hd4, 8u);      // vec4s of the head in part 0
  let n1 = hd4 - n0;          // and in part 1
  let hoff = h * hd;
  let qrow = p.q_base + (batch.pos0 + r) * p.c_stride + hoff;
  let q0 = ld_part(qrow, n0);
  let q1 = ld_part(qrow + 32u, n1);

  // This lane's keys e = l, l + 4, .., online.
  var st = Online(LOWEST_F32, 0.0, Part(), Part());
  var e = l;
  for (; e < prefix; e += LANES) { st = attend(st, e, hoff, q0, q1, n0, n1); }
  for (; e < L; e += LANES) { st = attend(st, keys[e - prefix], hoff, q0, q1, n0, n1); }
  lane_max[l] = st.m;
  lane_sum[l] = st.sum;
  share(l, 0u, n0, st.acc0);
  share(l, 1u, n1, st.acc1);
  workgroupBarrier();

  // Merge the lanes in order, each lane writing every 4th vec4 of the head.
  var mx = lane_max[0];
  for (var j = 1u; j < LANES; j++) { mx = max(mx, lane_max[j]); }
  let s0 = exp(lane_max[0] - mx); // 0 for a lane that had no keys
  let s1 = exp(lane_max[1] - mx);
  let s2 = exp(lane_max[2] - mx);
  let s3 = exp(lane_max[3] - mx);
  let total = fma(s3, lane_sum[3], fma(s2, lane_sum[2], fma(s1, lane_sum[1], s0 * lane_sum[0])));
  let orow = view_row(p.o_base, p.o_stride, p.o_positional, r) + hoff;
  for (var i = l; i < hd4; i += LANES) {
    let o = fma(vec4<f32>(s3), lane_out[48u + i], fma(vec4<f32>(s2), lane_out[32u + i], fma(vec4<f32>(s1), lane_out[16u + i], vec4<f32>(s0) * lane_out[i]))) / total;
    O[orow + 4u * i] = o.x;
    O[orow + 4u * i + 1u] = o.y;
    O[orow + 4u * i + 2u] = o.z;
    O[orow + 4u * i + 3u] = o.w;
  }
}
