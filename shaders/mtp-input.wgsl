// mtp-input.wgsl: MTP module k's input for a row batch, in one dispatch (DeepSeek-V3 section
// 2.2): the embedding of the token k positions ahead, both RMSNorms, their concatenation and the
// projection, at every row (pos = pos0 + r):
//   e = E[token[pos + k]],   a = [norm(h) * gh ; norm(e) * ge]   (2d wide),   y = a P^T   (P: [d, 2d])
// h is the previous model's stream at the same position (the main model's h^0, or module k-1's).
// A draft-tree row (prelude.wgsl Node) reads its token at index tok of the token buffer and h at slot
// src of the previous model's stream (its parent node's row there), instead of pos + k and pos.
// Token ids >= vocab clamp to vocab - 1 (no out-of-bounds read; the engine never produces them).
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, prelude.wgsl): rows M, pos0, tree rows
//   1 uniform Params (static): d, vocab, eps, views of X, tokens and Y, e_base, gh_base, ge_base, w_base
//   2 X:      the previous model's stream (rows.wgsl), row r at x_base + (x_positional * pos0 + r) * x_stride
//   3 W:      the weights buffer (rows.wgsl): E row v at float e_base + v * d, gh at gh_base, ge at
//             ge_base, P transposed ([2d, d]) at w_base
//   4 tokens: storage read u32, id of row r at tok_base + (tok_positional * pos0 + r) * tok_stride
//   5 Y:      storage rw   f32, row r at y_base + (y_positional * pos0 + r) * y_stride (module k's stream)
//   8 nodes:  storage read Node, the tree rows (prelude.wgsl)
//
// Workgroup layout: 64 invocations, four output columns each for a group of up to 4 rows (rows.wgsl
// GROUP); dispatch (ceil(d / 4 / 64), ceil(M / 4), 1): one workgroup at d = 128.
// Limits: d <= 256, a multiple of 4; weight offsets multiples of 4 (Kernels.mtpInput checks).

struct Params {
  d: u32, vocab: u32, eps: f32,
  x_base: u32, x_stride: u32, x_positional: u32,
  tok_base: u32, tok_stride: u32, tok_positional: u32,
  e_base: u32, gh_base: u32, ge_base: u32, w_base: u32,
  y_base: u32, y_stride: u32, y_positional: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> tokens: array<u32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;

var<workgroup> es: Rows; // the group's embeddings, normalised

// Row r's outputs 4c .. 4c + 3 into module k's stream.
fn put(r: u32, c: u32, v: vec4<f32>) {
  let e = view_row(p.y_base, p.y_stride, p.y_positional, r) + 4u * c;
  Y[e] = v.x;
  Y[e + 1u] = v.y;
  Y[e + 2u] = v.z;
  Y[e + 3u] = v.w;
}

// Where row r's h starts in X, and its input token.
fn h_row(r: u32) -> u32 {
  if (is_tree_row(r)) { return p.x_base + node_of(r).src * p.x_stride; }
  return view_row(p.x_base, p.x_stride, p.x_positional, r);
}

fn token_of(r: u32) -> u32 {
  if (is_tree_row(r)) { return tokens[node_of(r).tok]; }
  return tokens[view_row(p.tok_base, p.tok_stride, p.tok_positional, r)];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r0 = wg.y * GROUP;
  let m = min(batch.rows - r0, GROUP);
  let d4 = p.d / 4u;
  for (var j = 0u; j < m; j++) {
    let xr = h_row(r0 + j);
    for (var c = t; c < d4; c += WG) { xs[j * MAX_D4 + c] = load_x4(xr + 4u * c); }
    let id = min(token_of(r0 + j), p.vocab - 1u);
    let er = (p.e_base + id * p.d) / 4u;
    for (var c = t; c < d4; c += WG) { es[j * MAX_D4 + c] = W[er + c]; }
  }
  normalise(&xs, t, m, d4, p.eps, p.gh_base);
  normalise(&es, t, m, d4, p.eps, p.ge_base);

  // Lane t: output columns 4c .. 4c + 3, c = wg.x * 64 + t: [h ; e] of every row times P (transposed).
  let c = wg.x * WG + t;
  if (c >= d4) { return; }
  let w = p.w_base / 4u + c;
  let a = products(&es, m, d4, w + p.d * d4, d4, products(&xs, m, d4, w, d4, mat4x4<f32>()));
  put(r0, c, a[0]);
  if (m > 1u) { put(r0 + 1u, c, a[1]); }
  if (m > 2u) { put(r0 + 2u, c, a[2]); }
  if (m > 3u) { put(r0 + 3u, c, a[3]); }
}
