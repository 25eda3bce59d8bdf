import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.cjs';

const { LAYERS, EDGE_PACKAGES, EDGE_LAYERS } = layers;
const TOP_FILES = ['config', 'app', 'main'];

/** How deep below its layer's folder a file may sit: each depth gets its own rule (below). */
const MAX_DEPTH = 4;

/**
 * The rules of one layer of src/: an import of a layer it may not use is an error (eslint/layers.cjs). A
 * relative import is matched by the layer folder it names once it has climbed back to src/: from
 * src/<layer>/a.ts that is `../<other>/…`, from src/<layer>/a/b.ts `../../<other>/…`, from a file at the top of
 * src/ `./<other>/…`; so a layer's own subfolders (graphql/types) are never mistaken for another layer.
 */
function layerRules() {
  return Object.entries(LAYERS).flatMap(([layer, allowed]) => {
    const forbidden = Object.keys(LAYERS).filter((other) => other !== layer && !allowed.includes(other));
    const message = `${layer} may import only ${allowed.join(', ') || 'nothing outside itself'} (eslint/layers.cjs, docs/architecture.md)`;
    const packages = EDGE_LAYERS.includes(layer) ? [] : [{ group: EDGE_PACKAGES, message: 'Below the GraphQL edge nothing knows GraphQL or Apollo' }];
    const rule = (files, climb) => ({
      files,
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ regex: `^${climb}(${forbidden.join('|')})(/.*)?$`, message }, ...packages] }],
      },
    });
    if (TOP_FILES.includes(layer)) return [rule([`src/${layer}.ts`], '\\./')];
    return Array.from({ length: MAX_DEPTH }, (_, depth) => rule([`src/${layer}/${'*/'.repeat(depth)}*.ts`], `(\\.\\./){${depth + 1}}`));
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'src/client/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The bench prints its table: it is a command-line program, not the server.
    files: ['bench/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { fetch: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', Buffer: 'readonly' },
    },
    rules: { 'no-console': 'off' },
  },
  {
    // The SPA example is plain browser JavaScript (serve.js, which serves it, is Node's).
    files: ['examples/spa/**/*.js'],
    ignores: ['examples/spa/serve.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        FormData: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        history: 'readonly',
        localStorage: 'readonly',
      },
    },
  },
  {
    files: ['examples/spa/serve.js'],
    languageOptions: { sourceType: 'commonjs', globals: { URL: 'readonly' } },
  },
  ...layerRules(),
);
