// softmax.wgsl: probabilities with a temperature, out[r, :] = softmax(X[r, :] * inv_temp), for
// sampling. Computed as exp((x - max) * inv_temp) / sum; max and sum use a strided scan per
// invocation and a fixed binary tree (the same result for a row whatever the block size).
//
// Bindings (group 0):
//   0 uniform Block  (dynamic offset): rows M, pos0
//   1 uniform Params (static, rewritten when the temperature changes): n, inv_temp, views of X and out
//   2 X:   storage read f32, row r at x_base + (x_pos * pos0 + r) * x_stride
//   3 out: storage rw   f32, row r at o_base + (o_pos * pos0 + r) * o_stride
//
// Workgroup layout: 256 invocations per row; dispatch (M, 1, 1).

struct Block { rows: u32, pos0: u32, _pad0: u32, _pad1: u32 }
struct Params {
  n: u32, inv_temp: f32,
  x_base: u32, x_stride: u32, x_pos: u32,
  o_base: u32, o_stride: u32, o_pos: u32,
}

@group(0) @binding(0) var<uniform> blk: Block;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = wg.x;
  let xb = p.x_base + (p.x_pos * blk.pos0 + r) * p.x_stride;
  let ob = p.o_base + (p.o_pos * blk.pos0 + r) * p.o_stride;
  var mx = -0x1.fffffep+127f; // lowest finite f32 (a constant -inf is not valid WGSL)
  for (var i = t; i < p.n; i += WG) { mx = max(mx, X[xb + i]); }
  red[t] = mx;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { red[t] = max(red[t], red[t + stride]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var i = t; i < p.n; i += WG) {
    let e = exp((X[xb + i] - m) * p.inv_temp);
    O[ob + i] = e;
    sum += e;
  }
  red[t] = sum;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { red[t] = red[t] + red[t + stride]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];
  for (var i = t; i < p.n; i += WG) { O[ob + i] = O[ob + i] * inv; }
}
