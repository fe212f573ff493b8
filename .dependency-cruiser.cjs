// The layering of src/ (docs/architecture.md), checked by `npm run lint`:
// ui -> app -> decode | gpu -> model, and bench/ (the benchmark and its page) beside ui, over app. The engine never imports Lit; the UI never touches a GPU
// object (it may import the plain data types that describe a device); scripts/ use the layers
// below the page's controller, and of src/app/ only the profiled step the page's profiler takes.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'model-imports-nothing-above-it',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^src/(gpu|decode|app|ui)/' },
    },
    { name: 'gpu-is-below-decode-app-ui', severity: 'error', from: { path: '^src/gpu/' }, to: { path: '^src/(decode|app|ui)/' } },
    { name: 'decode-is-below-gpu-app-ui', severity: 'error', from: { path: '^src/decode/' }, to: { path: '^src/(gpu|app|ui)/' } },
    { name: 'app-imports-no-ui', severity: 'error', from: { path: '^src/app/' }, to: { path: '^src/ui/' } },
    {
      name: 'nothing-below-imports-bench',
      severity: 'error',
      from: { path: '^src/(model|gpu|decode|app|ui)/' },
      to: { path: '^src/bench/' },
    },
    { name: 'bench-imports-no-ui', severity: 'error', from: { path: '^src/bench/' }, to: { path: '^src/ui/' } },
    {
      name: 'ui-imports-no-gpu-code',
      comment: 'The UI gets plain data; type-only imports of the device report types are allowed.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: '^src/gpu/', dependencyTypesNot: ['type-only'] },
    },
    { name: 'only-ui-and-the-pages-import-lit', severity: 'error', from: { pathNot: '^src/(ui/|main\\.ts)' }, to: { path: 'node_modules/lit' } },
    {
      name: 'scripts-import-no-app-internals',
      comment: "The tools may share the profiled step (app/profile.ts, as the page's profiler); nothing of the controller.",
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^src/app/', pathNot: '^src/app/profile\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\?raw$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
