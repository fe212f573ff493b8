// compact.wgsl: after a draft-tree step, moves the accepted path's rows into the positions they now
// hold, in the main model's Q | K | V caches (every layer) and its stream h^0 (which module 1 reads
// next): move i (i = 0 .. rows - 1, prelude.wgsl Node: src = the node's slot, pos = its position)
//   C[layer, pos] = C[layer, src] for every layer,   X[pos] = X[src].
// The rest of the tree is dropped: its slots lie past the committed tokens, rewritten before read.
// Moves run in order and a path's slots only move down (node n of depth i + 1 sits in slot
// length - 1 + n >= length + i), so move i never reads a row an earlier move wrote: one invocation
// per column does every move of its column, and no two invocations touch the same float.
//
// Bindings (group 0):
//   0 uniform RowBatch (dynamic offset, prelude.wgsl): rows = moves, the moves' Nodes at nodes
//   1 uniform Params (static): layers, each layer's cache size (c_layer floats) and row (c_width), d
//   2 C:     storage rw f32, the main model's caches in one buffer: layer l's slot s at l * c_layer + s * c_width
//   3 X:     storage rw f32, the main stream: slot s at s * d
//   8 nodes: storage read Node, the moves
//
// Workgroup layout: 64 invocations, columns g = global id, + 64 * workgroups, ..; dispatch (4, 1, 1).
// Columns: every layer's c_width, then d of the stream. It runs once after a step that kept a side
// branch (a handful of rows: its cost is the dispatch).

struct Params {
  layers: u32, c_layer: u32, c_width: u32, d: u32,
}

@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let cache_columns = p.layers * p.c_width;
  for (var g = gid.x; g < cache_columns + p.d; g += groups.x * WG) {
    for (var i = 0u; i < batch.rows; i++) {
      let mv = nodes[batch.nodes + i];
      if (g < cache_columns) {
        let at = (g / p.c_width) * p.c_layer + g % p.c_width;
        C[at + mv.pos * p.c_width] = C[at + mv.src * p.c_width];
      } else {
        let col = g - cache_columns;
        X[mv.pos * p.d + col] = X[mv.src * p.d + col];
      }
    }
  }
}
