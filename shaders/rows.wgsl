// What the fused kernels of a decode step share (qkv, attend, ffn, head, mtp_input): the residual
// stream and the weights at fixed bindings, a workgroup's group of rows, RMSNorm and the product of
// a weight row with every row of a group. src/gpu/shaders.ts puts it after the prelude.
//
//   binding 2 X: storage rw   f32, the residual stream a kernel reads (and attend and ffn add into)
//   binding 3 W: storage read vec4<f32>, the weights buffer; every offset and every matrix's width
//                is a multiple of 4 floats, and so is d (vec4 loads; Kernels checks)
//
// A kernel takes its block's rows in groups of GROUP (a decode block, at most 4 rows, is one group),
// so that each weight is read from memory once per group and used for all its rows. Row j of a
// group of m rows stands in for row min(j, m - 1): the products run four rows without a branch and
// only the stores are cut to m.
//
// Every product is one chain per output, acc = fma(x[k], w[k], acc) for k = 0, 1, .., K-1 from 0,
// so an output does not depend on the block size, on the row's place in its group, or on which
// workgroup computed it: a row's results are the same bits in a prefill and in any decode block.
// The weight matrices are transposed, [in, out] (src/gpu/weight-buffer.ts); a lane computes four
// consecutive outputs (a vec4) of every row of its group.
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>;

const GROUP: u32 = 4u;
// Widest row (vec4s): d <= 256.
const MAX_D4: u32 = 64u;

alias Rows = array<vec4<f32>, 256>; // GROUP rows of MAX_D4 vec4s, row j at j * MAX_D4
var<workgroup> xs: Rows;
var<workgroup> norm_partial: array<vec4<f32>, WG>;

// Rows r0 .. r0 + m - 1 of the stream view (base, stride, positional) into xs, d4 vec4s each.
// Lane t stages vec4s t, t + 64, .. of each row: the ones it normalises (no barrier needed between).
fn stage_stream(t: u32, r0: u32, m: u32, d4: u32, base: u32, stride: u32, positional: u32) {
  for (var j = 0u; j < m; j++) {
    let xr = view_row(base, stride, positional, r0 + j);
    for (var c = t; c < d4; c += WG) {
      let e = xr + 4u * c;
      xs[j * MAX_D4 + c] = vec4<f32>(X[e], X[e + 1u], X[e + 2u], X[e + 3u]);
    }
  }
}

// RMSNorm in place of the m staged rows of `rows` (d4 vec4s each, vec4s t, t + 64, .. staged by
// lane t): x <- x / sqrt(mean(x^2) + eps) * g, g at float g_base of W. Reduction order, per row:
// lane t sums the squares of its vec4s in order, then every lane adds the 64 partials in lane
// order. It holds two barriers (the second: the rows are ready for every lane): call it from
// every invocation, in uniform control flow.
fn normalise(rows: ptr<workgroup, Rows>, t: u32, m: u32, d4: u32, eps: f32, g_base: u32) {
  var partial = vec4<f32>(0.0);
  for (var j = 0u; j < m; j++) {
    var s = 0.0;
    for (var c = t; c < d4; c += WG) {
      let v = (*rows)[j * MAX_D4 + c];
      s = fma(v.w, v.w, fma(v.z, v.z, fma(v.y, v.y, fma(v.x, v.x, s))));
    }
    partial[j] = s;
  }
  norm_partial[t] = partial;
  workgroupBarrier();
  var total = vec4<f32>(0.0);
  for (var l = 0u; l < WG; l++) { total += norm_partial[l]; }
  let scale = 1.0 / sqrt(total / f32(4u * d4) + eps);
  for (var j = 0u; j < m; j++) {
    for (var c = t; c < d4; c += WG) { (*rows)[j * MAX_D4 + c] = (*rows)[j * MAX_D4 + c] * scale[j] * W[g_base / 4u + c]; }
  }
  workgroupBarrier();
}

// The group's rows times four consecutive columns of a transposed weight matrix ([K, N] in W: row
// k, at vec4 w + k * n4, holds input k's weights of every output, so the lanes computing consecutive
// outputs read consecutive floats). Column j of the result holds row j's four outputs, each the chain
// acc = fma(x[k], w[k], acc) over k = 0 .. 4 k4 - 1 in order, continued from acc. The rows are the
// first k4 vec4s of each of `rows`' m rows.
fn products(rows: ptr<workgroup, Rows>, m: u32, k4: u32, w: u32, n4: u32, acc: mat4x4<f32>) -> mat4x4<f32> {
  let r1 = min(1u, m - 1u) * MAX_D4;
  let r2 = min(2u, m - 1u) * MAX_D4;
  let r3 = min(3u, m - 1u) * MAX_D4;
  var a = acc;
  if (m == 1u) {
    for (var k = 0u; k < k4; k++) {
      let x0 = (*rows)[k];
      for (var i = 0u; i < 4u; i++) { a[0] = fma(vec4<f32>(x0[i]), W[w + (4u * k + i) * n4], a[0]); }
    }
    return a;
  }
  for (var k = 0u; k < k4; k++) {
    let x0 = (*rows)[k];
    let x1 = (*rows)[r1 + k];
    let x2 = (*rows)[r2 + k];
    let x3 = (*rows)[r3 + k];
    for (var i = 0u; i < 4u; i++) {
      let wv = W[w + (4u * k + i) * n4];
      a[0] = fma(vec4<f32>(x0[i]), wv, a[0]);
      a[1] = fma(vec4<f32>(x1[i]), wv, a[1]);
      a[2] = fma(vec4<f32>(x2[i]), wv, a[2]);
      a[3] = fma(vec4<f32>(x3[i]), wv, a[3]);
    }
  }
  return a;
}
