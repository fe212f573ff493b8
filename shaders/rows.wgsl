// What the fused kernels share (mtp_input, qkv, wo_ffn, head): the residual stream and the weights
// at fixed bindings, a workgroup's group of rows, RMSNorm, and the product of four columns of a
// transposed weight matrix with every row of a group. src/gpu/shaders.ts puts it after the prelude.
//
//   binding 2 X: storage rw   f32, the residual stream a kernel reads (and wo_ffn adds into)
//   binding 3 W: storage read vec4<f32>, the weights buffer; every offset and every matrix's width
//                is a multiple of 4 floats, and so is d (vec4 loads; Kernels checks)
//
// A kernel takes its row batch in groups of GROUP rows (a decode batch, at most 4 rows, is one group),
// so that each weight is read from memory once per group and used for all its rows. The products
// have a loop for each m = 1 .. 4, so a group does only its own rows' arithmetic (a decode step's
// blocks are mostly of 1-3 rows: a verify block of depth D has D + 1); results past row m are
// meaningless and never stored.
//
// Every product is one chain per output, acc = fma(x[k], w[k], acc) for k = 0, 1, .., K-1 from 0,
// so an output does not depend on the batch size, on the row's place in its group, or on which
// workgroup computed it: a row's results are the same bits in a prefill and in any decode batch.
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

// Dynamic indices into a vector or a matrix (v[i], a[j] with i, j not constants) cost SwiftShader a
// round trip through memory: unrolled by hand (.x .. .w, a[0] .. a[3]), the products and wo_ffn
// ran faster (docs/journal.md). So the helpers below take rows and components by constant index, and the
// kernels call them once per row of a group.

fn load_x4(e: u32) -> vec4<f32> { return vec4<f32>(X[e], X[e + 1u], X[e + 2u], X[e + 3u]); }

fn store_x4(e: u32, v: vec4<f32>) {
  X[e] = v.x;
  X[e + 1u] = v.y;
  X[e + 2u] = v.z;
  X[e + 3u] = v.w;
}

// Rows r0 .. r0 + m - 1 of the stream view (base, stride, positional) into xs, d4 vec4s each.
// Lane t stages vec4s t, t + 64, .. of each row: the ones it normalises (no barrier needed between).
fn stage_stream(t: u32, r0: u32, m: u32, d4: u32, base: u32, stride: u32, positional: u32) {
  for (var j = 0u; j < m; j++) {
    let xr = view_row(base, stride, positional, r0 + j);
    for (var c = t; c < d4; c += WG) { xs[j * MAX_D4 + c] = load_x4(xr + 4u * c); }
  }
}

// Lane t's sum of squares of row j of `rows`: its vec4s t, t + 64, .., in order.
fn sum_sq(rows: ptr<workgroup, Rows>, j: u32, t: u32, d4: u32) -> f32 {
  var s = 0.0;
  for (var c = t; c < d4; c += WG) {
    let v = (*rows)[j * MAX_D4 + c];
    s = fma(v.w, v.w, fma(v.z, v.z, fma(v.y, v.y, fma(v.x, v.x, s))));
  }
  return s;
}

// Row j of `rows` (lane t's vec4s) times scale and the norm weight g at float g_base of W.
fn scale_row(rows: ptr<workgroup, Rows>, j: u32, t: u32, d4: u32, scale: f32, g_base: u32) {
  for (var c = t; c < d4; c += WG) { (*rows)[j * MAX_D4 + c] = (*rows)[j * MAX_D4 + c] * scale * W[g_base / 4u + c]; }
}

// RMSNorm in place of the m staged rows of `rows` (d4 vec4s each, vec4s t, t + 64, .. staged by
// lane t): x <- x / sqrt(mean(x^2) + eps) * g, g at float g_base of W. Reduction order, per row:
// lane t sums the squares of its vec4s in order, then every lane adds the 64 partials in lane
// order. It holds two barriers (the second: the rows are ready for every lane): call it from
// every invocation, in uniform control flow. (Rows past m are summed too, and left alone.)
fn normalise(rows: ptr<workgroup, Rows>, t: u32, m: u32, d4: u32, eps: f32, g_base: u32) {
  norm_partial[t] = vec4<f32>(sum_sq(rows, 0u, t, d4), sum_sq(rows, 1u, t, d4), sum_sq(rows, 2u, t, d4), sum_sq(rows, 3u, t, d4));
  workgroupBarrier();
  var total = vec4<f32>(0.0);
  for (var l = 0u; l < WG; l++) { total += norm_partial[l]; }
  let scale = 1.0 / sqrt(total / f32(4u * d4) + eps);
  scale_row(rows, 0u, t, d4, scale.x, g_base);
  if (m > 1u) { scale_row(rows, 1u, t, d4, scale.y, g_base); }
  if (m > 2u) { scale_row(rows, 2u, t, d4, scale.z, g_base); }
  if (m > 3u) { scale_row(rows, 3u, t, d4, scale.w, g_base); }
  workgroupBarrier();
}

// Four consecutive outputs' weights of four consecutive inputs: column i is input i's, at vec4 wk + i n4.
fn weights4(wk: u32, n4: u32) -> mat4x4<f32> {
  return mat4x4<f32>(W[wk], W[wk + n4], W[wk + 2u * n4], W[wk + 3u * n4]);
}

// One row's chain through four inputs x.x .. x.w: acc = fma(x[i], w[i], acc) for i = 0 .. 3, in order.
fn chain4(acc: vec4<f32>, x: vec4<f32>, w: mat4x4<f32>) -> vec4<f32> {
  return fma(vec4<f32>(x.w), w[3], fma(vec4<f32>(x.z), w[2], fma(vec4<f32>(x.y), w[1], fma(vec4<f32>(x.x), w[0], acc))));
}

// The group's rows times four consecutive columns of a transposed weight matrix ([K, N] in W: row
// k, at vec4 w + k * n4, holds input k's weights of every output, so the lanes computing consecutive
// outputs read consecutive floats). Column j of the result holds row j's four outputs, each the chain
// acc = fma(x[k], w[k], acc) over k = 0 .. 4 k4 - 1 in order, continued from acc. The rows are the
// first k4 vec4s of each of `rows`' m rows; columns past m keep acc. One loop per m, not the
// four-row loop with row min(j, m - 1) standing in for row j: that made Chromium's depth-1 MTP
// steps (2-row blocks) slower; nor one loop with a branch on m per row, since a branch on a uniform in
// a hot loop is slow on SwiftShader (both: docs/journal.md, "Figures moved from code comments").
fn products(rows: ptr<workgroup, Rows>, m: u32, k4: u32, w: u32, n4: u32, acc: mat4x4<f32>) -> mat4x4<f32> {
  var a = acc;
  if (m == 1u) {
    for (var k = 0u; k < k4; k++) { a[0] = chain4(a[0], (*rows)[k], weights4(w + 4u * k * n4, n4)); }
    return a;
  }
  if (m == 2u) {
    for (var k = 0u; k < k4; k++) {
      let wk = weights4(w + 4u * k * n4, n4);
      a[0] = chain4(a[0], (*rows)[k], wk);
      a[1] = chain4(a[1], (*rows)[MAX_D4 + k], wk);
    }
    return a;
  }
  if (m == 3u) {
    for (var k = 0u; k < k4; k++) {
      let wk = weights4(w + 4u * k * n4, n4);
      a[0] = chain4(a[0], (*rows)[k], wk);
      a[1] = chain4(a[1], (*rows)[MAX_D4 + k], wk);
      a[2] = chain4(a[2], (*rows)[2u * MAX_D4 + k], wk);
    }
    return a;
  }
  for (var k = 0u; k < k4; k++) {
    let wk = weights4(w + 4u * k * n4, n4);
    a[0] = chain4(a[0], (*rows)[k], wk);
    a[1] = chain4(a[1], (*rows)[MAX_D4 + k], wk);
    a[2] = chain4(a[2], (*rows)[2u * MAX_D4 + k], wk);
    a[3] = chain4(a[3], (*rows)[3u * MAX_D4 + k], wk);
  }
  return a;
}
