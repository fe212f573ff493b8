// argmax.wgsl: out[r] = index of the largest logit of row r (u32). Ties go to the lowest index, as
// ops.argmax; NaNs are skipped (all-NaN rows give 0). Writing at a view of a u32 buffer lets the
// decode loop drop drafted tokens straight into the token buffer the next embedding gather reads.
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset, declared in prelude.wgsl): rows M, pos0
//   1 uniform Params (static): n (logits per row), views of X and out
//   2 X:   storage read f32, row r at x_base + (x_pos * pos0 + r) * x_stride
//   3 out: storage rw   u32, id of row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: 256 invocations per row (strided scan, then invocation 0 merges); dispatch (M, 1, 1).

struct Params {
  n: u32,
  x_base: u32, x_stride: u32, x_pos: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
  _pad0: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> ids: array<u32>;

const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;
var<workgroup> best_v: array<f32, 256>;
var<workgroup> best_i: array<u32, 256>;

fn x_row(r: u32) -> u32 { return view_row(p.x_base, p.x_stride, p.x_pos, r); }
fn o_row(r: u32) -> u32 { return view_row(p.o_base, p.o_stride, p.o_pos, r); }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = wg.x;
  let base = x_row(r);
  var bv = 0.0;
  var bi = NONE;
  for (var i = t; i < p.n; i += WG) {
    let v = X[base + i];
    if ((bi == NONE && v == v) || v > bv) { bv = v; bi = i; }
  }
  best_v[t] = bv;
  best_i[t] = bi;
  workgroupBarrier();
  // Invocation 0 merges the 256 candidates: one barrier instead of a tree's nine (on a CPU
  // rasteriser a barrier costs more than these comparisons). The result does not depend on the
  // merge order: the largest value, ties to the lowest index.
  if (t == 0u) {
    var v = 0.0;
    var id = NONE;
    for (var j = 0u; j < WG; j++) {
      let oi = best_i[j];
      let ov = best_v[j];
      if (oi != NONE && (id == NONE || ov > v || (ov == v && oi < id))) {
        v = ov;
        id = oi;
      }
    }
    if (id == NONE) { id = 0u; } // all NaN: index 0, as ops.argmax
    ids[o_row(r)] = id;
  }
}
