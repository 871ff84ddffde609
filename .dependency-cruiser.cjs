// Import rules, checked by `npm run lint` (docs/architecture.md explains them).
/** Feature folders: each is used from outside only through its index.ts. */
const FEATURES = ['auth', 'catalog', 'orders', 'notifications', 'fulfilment'];
const featureGroup = `^src/(${FEATURES.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'A cycle of imports makes the order of module initialisation matter (ESM: "Cannot access X before ' +
        'initialization") and the parts impossible to understand alone. Type-only imports vanish at compile ' +
        'time and are left out.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-to-consumers',
      severity: 'error',
      comment:
        'The consumers depend on src/, never the other way round. The one exception is the entry point ' +
        'src/main.ts: the composition root of the API process, which runs the consumers in-process under ' +
        'RUN_CONSUMERS and so must name them.',
      from: { path: '^src/', pathNot: '^src/main\\.ts$' },
      to: { path: '^consumers/' },
    },
    {
      name: 'not-to-tests',
      severity: 'error',
      comment: 'Shipped code never imports test code.',
      from: { path: '^(src|consumers)/', pathNot: '[.]test[.]ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'features-through-their-index',
      severity: 'error',
      comment:
        'A feature folder (src/auth, src/orders, ...) is used from outside only through what its index.ts ' +
        'exports; what it keeps out of index.ts is its own business.',
      from: { path: '^(src/[^/]+|consumers)/', pathNot: '[.]test[.]ts$' },
      to: { path: featureGroup, pathNot: ['^$1/', `${featureGroup}index[.]ts$`] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|web/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
