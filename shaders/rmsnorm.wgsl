// rmsnorm.wgsl: RMSNorm of a block of rows, out = x / sqrt(mean(x^2) + eps) * w, optionally of two
// inputs side by side (the MTP module input): out[r] = [norm(A[r], wa) ; norm(B[r], wb)], width 2n.
// Part 0 normalises A with wa into output columns 0..n-1; part 1 (dispatched only for the pair)
// normalises B with wb into columns n..2n-1.
//
// Reduction order (fixed, per row, independent of M): invocation t sums x[i]^2 for i = t, t+64, ..
// with fma, then the 64 partial sums are added in order 0..63.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static): n, eps, views of A, B, out, weight offsets
//   2 A:   storage read f32, row r at a_base + (a_pos * pos0 + r) * a_stride
//   3 B:   storage read f32, row r at b_base + (b_pos * pos0 + r) * b_stride (bind A again for one norm)
//   4 WA:  storage read f32, weight at wa_base
//   5 WB:  storage read f32, weight at wb_base (bind WA again for one norm)
//   6 out: storage rw   f32, row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: 64 invocations per (row, part); dispatch (M, parts, 1), parts = 1 or 2.

struct Params {
  n: u32, eps: f32,
  a_base: u32, a_stride: u32, a_pos: u32,
  b_base: u32, b_stride: u32, b_pos: u32,
  wa_base: u32, wb_base: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
  _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read> WA: array<f32>;
@group(0) @binding(5) var<storage, read> WB: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, 64>;

fn load(part: u32, r: u32, i: u32) -> f32 {
  if (part == 0u) { return A[view_row(p.a_base, p.a_stride, p.a_pos, r) + i]; }
  return B[view_row(p.b_base, p.b_stride, p.b_pos, r) + i];
}

fn weight(part: u32, i: u32) -> f32 {
  if (part == 0u) { return WA[p.wa_base + i]; }
  return WB[p.wb_base + i];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = wg.x;
  let part = wg.y;
  var s = 0.0;
  for (var i = t; i < p.n; i += WG) {
    let v = load(part, r, i);
    s = fma(v, v, s);
  }
  partial[t] = s;
  workgroupBarrier();
  // Every invocation adds the 64 partial sums itself, in order: one barrier instead of a tree's
  // seven (on a CPU rasteriser a barrier costs more than these adds).
  var total = 0.0;
  for (var j = 0u; j < WG; j++) { total += partial[j]; }
  let scale = 1.0 / sqrt(total / f32(p.n) + p.eps);
  let out = view_row(p.o_base, p.o_stride, p.o_pos, r) + part * p.n;
  for (var i = t; i < p.n; i += WG) {
    O[out + i] = load(part, r, i) * scale * weight(part, i);
  }
}
